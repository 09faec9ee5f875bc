//! The simulated market feed: a random walk per symbol at varied rates and sizes, retained reference
//! data, and a few non-JSON topics so every payload view has something to show. Pure generation here;
//! the publishing loop lives in `mod.rs`.

use crate::codec::Bytes;
use serde::Deserialize;

/// The universe file shipped in `assets/`.
pub const UNIVERSE_JSON: &str = include_str!("../../assets/universe.json");

#[derive(Debug, Clone, Deserialize)]
pub struct Universe {
    pub exchange: String,
    pub symbols: Vec<Symbol>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Symbol {
    pub symbol: String,
    pub name: String,
    pub sector: String,
    pub open: f64,
    /// Standard deviation of one step, as a fraction of the price.
    pub volatility: f64,
    /// Quotes per second.
    pub rate: f64,
}

pub fn universe() -> Result<Universe, String> {
    serde_json::from_str(UNIVERSE_JSON).map_err(|e| format!("assets/universe.json: {e}"))
}

/// xorshift64*: small, fast, and good enough for a demo walk. Seeded, so tests are repeatable.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly normal (sum of uniforms), mean 0, sd 1.
    pub fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }
}

/// One symbol's moving state.
#[derive(Debug, Clone)]
pub struct Quote {
    pub sym: Symbol,
    pub px: f64,
    pub seq: u64,
    pub volume: u64,
    pub next_at_ms: u64,
}

impl Quote {
    pub fn new(sym: Symbol, start_ms: u64, rng: &mut Rng) -> Self {
        let first = start_ms + (rng.unit() * 1000.0 / sym.rate.max(0.01)) as u64;
        Self { px: sym.open, seq: 0, volume: 0, next_at_ms: first, sym }
    }

    /// Moves the price one step and returns the JSON quote. Sizes vary: some quotes carry a small
    /// order book.
    pub fn step(&mut self, now_ms: u64, rng: &mut Rng) -> Bytes {
        let step = self.sym.volatility * rng.normal();
        self.px = (self.px * (1.0 + step)).max(0.01);
        self.seq += 1;
        let size = 1 + (rng.unit() * 500.0) as u64;
        self.volume += size;
        let spread = (self.px * 0.0002).max(0.01);
        let decimals = if self.px < 1000.0 { 2 } else { 1 };
        let r = |v: f64| (v * 10f64.powi(decimals)).round() / 10f64.powi(decimals);
        let mut q = serde_json::json!({
            "sym": self.sym.symbol,
            "px": r(self.px),
            "bid": r(self.px - spread / 2.0),
            "ask": r(self.px + spread / 2.0),
            "size": size,
            "vol": self.volume,
            "seq": self.seq,
            "ts": now_ms,
        });
        if rng.unit() < 0.1 {
            let levels: Vec<serde_json::Value> =
                (1..=5).map(|i| serde_json::json!([r(self.px - spread * f64::from(i)), 100 * i])).collect();
            q["book"] = serde_json::Value::Array(levels);
        }
        self.next_at_ms = now_ms + (1000.0 / self.sym.rate.max(0.01) * (0.5 + rng.unit())) as u64;
        Bytes::from(q.to_string())
    }
}

/// Retained reference data for a symbol: company name, sector, opening price.
pub fn reference(sym: &Symbol, exchange: &str) -> Bytes {
    let v = serde_json::json!({
        "sym": sym.symbol, "name": sym.name, "sector": sym.sector, "open": sym.open, "exchange": exchange,
    });
    Bytes::from(v.to_string())
}

/// A tiny MessagePack map {"t": <f64>, "ok": true} for the msgpack view.
pub fn msgpack_reading(v: f64) -> Bytes {
    let mut b = vec![0x82, 0xa1, b't', 0xcb];
    b.extend_from_slice(&v.to_be_bytes());
    b.extend_from_slice(&[0xa2, b'o', b'k', 0xc3]);
    Bytes::from(b)
}

/// A tiny CBOR map {"rpm": <u16>, "temp": <f64>} for the cbor view.
pub fn cbor_reading(rpm: u16, temp: f64) -> Bytes {
    let mut b = vec![0xa2, 0x63, b'r', b'p', b'm', 0x19];
    b.extend_from_slice(&rpm.to_be_bytes());
    b.extend_from_slice(&[0x64, b't', b'e', b'm', b'p', 0xfb]);
    b.extend_from_slice(&temp.to_be_bytes());
    Bytes::from(b)
}

/// Bytes that are not text, for the hex view: a PNG-like header and noise.
pub fn binary_frame(rng: &mut Rng) -> Bytes {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    b.extend((0..40).map(|_| (rng.next_u64() & 0xff) as u8));
    Bytes::from(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{PayloadFormat, numeric_fields};

    #[test]
    fn universe_parses_with_varied_rates() {
        let u = universe().unwrap();
        assert!(u.symbols.len() >= 20);
        let rates: std::collections::BTreeSet<u64> = u.symbols.iter().map(|s| (s.rate * 10.0) as u64).collect();
        assert!(rates.len() >= 3, "rates vary");
    }

    #[test]
    fn quotes_walk_and_are_json_with_numeric_fields() {
        let u = universe().unwrap();
        let mut rng = Rng::new(42);
        let mut q = Quote::new(u.symbols[0].clone(), 0, &mut rng);
        let mut prices = Vec::new();
        for i in 0..50 {
            let b = q.step(i * 100, &mut rng);
            let fields = numeric_fields(&b, PayloadFormat::Json);
            let px = fields.iter().find(|(k, _)| k == "/px").map(|(_, v)| *v).unwrap();
            prices.push(px);
        }
        assert!(prices.windows(2).any(|w| w[0] != w[1]), "the price moves");
        assert!(prices.iter().all(|p| *p > 0.0));
    }

    #[test]
    fn binary_views_have_valid_samples() {
        let m = msgpack_reading(1.5);
        assert_eq!(numeric_fields(&m, PayloadFormat::MsgPack), vec![("/t".to_string(), 1.5)]);
        let c = cbor_reading(1200, 80.5);
        assert_eq!(
            numeric_fields(&c, PayloadFormat::Cbor),
            vec![("/rpm".to_string(), 1200.0), ("/temp".to_string(), 80.5)]
        );
    }
}
