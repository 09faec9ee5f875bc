//! RFC 3339 timestamps without a date crate (UTC, millisecond precision), and the time zone that
//! times on screen are shown in.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The zone for times on screen. Files and JSON keep UTC (RFC 3339 with `Z`).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Zone {
    /// UTC: the default of `app::Config`, so tests and snapshots do not depend on the machine.
    #[default]
    Utc,
    /// A zone with its rules (daylight saving changes included).
    Tz(Arc<tz::TimeZone>),
}

impl Zone {
    /// The local zone, the way `date` finds it: `TZ` (`TZ=UTC`, `TZ=Europe/Paris`, `TZ=JST-9`), else
    /// /etc/localtime. UTC, with a warning in the log, when the zone cannot be read.
    pub fn local() -> Self {
        Self::from_tz(std::env::var("TZ").ok().as_deref())
    }

    /// `local` for a given value of `TZ`. As with the C library, an empty `TZ` means UTC.
    pub fn from_tz(tz_var: Option<&str>) -> Self {
        let found = match tz_var {
            Some("") => return Self::Utc,
            // A zone name, a file (`:/path`) or a POSIX rule.
            Some(name) => tz::TimeZone::from_posix_tz(name).map_err(|e| format!("TZ='{name}': {e}")),
            None => tz::TimeZone::local().map_err(|e| format!("/etc/localtime: {e}")),
        };
        match found {
            Ok(z) => Self::Tz(Arc::new(z)),
            Err(e) => {
                tracing::warn!("local time zone unknown ({e}); showing times in UTC");
                Self::Utc
            }
        }
    }

    /// A fixed offset east of UTC, in seconds.
    pub fn fixed(offset_secs: i32) -> Self {
        tz::TimeZone::fixed(offset_secs).map_or(Self::Utc, |z| Self::Tz(Arc::new(z)))
    }

    /// What a wall clock in this zone shows at `utc_ms`, as milliseconds since the epoch.
    pub fn wall_ms(&self, utc_ms: u64) -> u64 {
        let Self::Tz(z) = self else { return utc_ms };
        let secs = i64::try_from(utc_ms / 1000).unwrap_or(i64::MAX);
        let offset = z.find_local_time_type(secs).map_or(0, |t| i64::from(t.ut_offset()));
        utc_ms.saturating_add_signed(offset * 1000)
    }
}

/// `2026-11-25T17:43:36.123Z`.
pub fn rfc3339_millis(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, day) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn zones_move_the_wall_clock_by_their_offset_at_that_instant() {
        let t = 1_795_628_616_123; // 2026-11-25T17:43:36.123Z
        assert_eq!(Zone::Utc.wall_ms(t), t);
        assert_eq!(Zone::fixed(3600).wall_ms(t), t + 3_600_000);
        assert_eq!(Zone::fixed(-5 * 3600).wall_ms(t), t - 18_000_000);
        assert_eq!(Zone::fixed(-3600).wall_ms(1000), 0, "never before the epoch");
        // A zone with daylight saving: UTC+1 in winter, UTC+2 in summer.
        let paris = Zone::Tz(Arc::new(tz::TimeZone::from_posix_tz("CET-1CEST,M3.5.0,M10.5.0/3").unwrap()));
        assert_eq!(paris.wall_ms(t), t + 3_600_000);
        let july = 1_783_000_000_000; // 2026-07-02
        assert_eq!(paris.wall_ms(july), july + 7_200_000);
    }

    #[test]
    fn the_tz_variable_picks_the_zone() {
        let t = 1_795_628_616_123;
        assert_eq!(Zone::from_tz(Some("JST-9")).wall_ms(t), t + 9 * 3_600_000);
        assert_eq!(Zone::from_tz(Some("UTC0")).wall_ms(t), t);
        assert_eq!(Zone::from_tz(Some("")), Zone::Utc, "an empty TZ is UTC");
        assert_eq!(Zone::from_tz(Some("Nowhere/Atlantis")), Zone::Utc, "an unknown zone falls back to UTC");
        // The zone database, where this machine has it.
        if std::path::Path::new("/usr/share/zoneinfo/Asia/Tokyo").exists() {
            assert_eq!(Zone::from_tz(Some("Asia/Tokyo")).wall_ms(t), t + 9 * 3_600_000);
            assert_eq!(Zone::from_tz(Some(":Asia/Tokyo")).wall_ms(t), t + 9 * 3_600_000);
        }
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_628_616_123);
        assert_eq!(rfc3339_millis(t), "2026-11-25T17:43:36.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339_millis(leap), "2000-02-29T00:00:00.000Z");
    }
}
