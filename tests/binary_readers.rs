//! The hand-written MessagePack and CBOR readers (src/payload/msgpack.rs, cbor.rs) against the
//! crates that could replace them, rmpv and ciborium, on hostile payloads: a declared length of
//! 4 GiB, 100,000 levels of nesting, and a million values in under 1 MiB. Each decode runs in a child process (this test binary run
//! again for one case), because what a reader may do to a hostile payload, abort on a failed
//! allocation or overflow its stack, ends the whole process and cannot be caught in a thread.
//!
//! The child measures how much its peak address space (a large allocation grows it even when its
//! pages are never touched) and its peak resident memory grew during the decode, which runs on a
//! thread with the stack size asked for. `cargo test --test binary_readers -- --nocapture` prints
//! the whole table.

use std::process::Command;

use mqscope::payload::{self, PayloadFormat};

/// A field of /proc/self/status in bytes (`VmPeak`: the most address space the process ever had,
/// which a large allocation grows even when its pages are never touched; `VmHWM`: the most
/// resident memory).
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// A MessagePack array, string and binary, and a CBOR array, text and byte string, each declaring
/// 4 GiB (2^32 - 1 items or bytes) and followed by a few bytes only.
fn huge(case: &str) -> Vec<u8> {
    let head: &[u8] = match case {
        "msgpack-array" => &[0xdd, 0xff, 0xff, 0xff, 0xff],
        "msgpack-string" => &[0xdb, 0xff, 0xff, 0xff, 0xff],
        "msgpack-binary" => &[0xc6, 0xff, 0xff, 0xff, 0xff],
        "cbor-array" => &[0x9a, 0xff, 0xff, 0xff, 0xff],
        "cbor-text" => &[0x7a, 0xff, 0xff, 0xff, 0xff],
        "cbor-bytes" => &[0x5a, 0xff, 0xff, 0xff, 0xff],
        _ => &[],
    };
    let mut b = head.to_vec();
    b.extend([0x00; 16]);
    b
}

/// 100,000 nested one-item arrays around a null (MessagePack, CBOR definite and indefinite), and
/// 100,000 CBOR tags around a null.
fn deep(case: &str) -> Vec<u8> {
    let (open, close, end): (u8, u8, Option<u8>) = match case {
        "msgpack-nesting" => (0x91, 0xc0, None),
        "cbor-nesting" => (0x81, 0xf6, None),
        "cbor-indefinite" => (0x9f, 0xf6, Some(0xff)),
        _ => (0xc6, 0xf6, None), // "cbor-tags"
    };
    let mut b = vec![open; 100_000];
    b.push(close);
    b.extend(end.map(|e| vec![e; 100_000]).unwrap_or_default());
    b
}

/// A million empty arrays in one array, within the 1 MiB the views decode: a small payload that
/// asks for a large tree.
fn many(case: &str) -> Vec<u8> {
    let (head, item): (&[u8], u8) = match case {
        "msgpack-many" => (&[0xdd, 0x00, 0x0f, 0x42, 0x40], 0x90),
        _ => (&[0x9a, 0x00, 0x0f, 0x42, 0x40], 0x80), // "cbor-many"
    };
    let mut b = head.to_vec();
    b.resize(head.len() + 1_000_000, item);
    b
}

const MANY: [&str; 2] = ["msgpack-many", "cbor-many"];
const HUGE: [&str; 6] = ["msgpack-array", "msgpack-string", "msgpack-binary", "cbor-array", "cbor-text", "cbor-bytes"];
const DEEP: [&str; 4] = ["msgpack-nesting", "cbor-nesting", "cbor-indefinite", "cbor-tags"];

/// Decodes `case` with `reader` ("ours" or "crate") and says how it went.
fn decode(reader: &str, case: &str) -> Result<(), String> {
    let bytes = if HUGE.contains(&case) {
        huge(case)
    } else if MANY.contains(&case) {
        many(case)
    } else {
        deep(case)
    };
    let msgpack = case.starts_with("msgpack");
    match (reader, msgpack) {
        ("ours", true) => payload::decode(&bytes, PayloadFormat::MsgPack).map(drop),
        ("ours", false) => payload::decode(&bytes, PayloadFormat::Cbor).map(drop),
        ("crate", true) => rmpv::decode::read_value(&mut &bytes[..]).map(drop).map_err(|e| e.to_string()),
        ("crate", false) => {
            ciborium::de::from_reader::<ciborium::Value, _>(&bytes[..]).map(drop).map_err(|e| e.to_string())
        }
        // The crates held to our depth limit (64).
        (_, true) => rmpv::decode::read_value_with_max_depth(&mut &bytes[..], 64).map(drop).map_err(|e| e.to_string()),
        (_, false) => ciborium::de::from_reader_with_recursion_limit::<ciborium::Value, _>(&bytes[..], 64)
            .map(drop)
            .map_err(|e| e.to_string()),
    }
}

/// The child's side: runs when the parent sets MQSCOPE_READER_CASE, else does nothing.
#[test]
fn child() {
    let Ok(spec) = std::env::var("MQSCOPE_READER_CASE") else { return };
    let mut parts = spec.split(' ');
    let (Some(reader), Some(case), Some(stack)) = (parts.next(), parts.next(), parts.next()) else { return };
    let (reader, case) = (reader.to_string(), case.to_string());
    let stack: usize = stack.parse().expect("stack size");
    let (result, vm, rss) = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            // The thread's first allocation reserves its malloc arena (64 MiB of address space):
            // done before measuring, so only the decode counts.
            drop(std::hint::black_box(vec![0u8; 64]));
            let (vm, rss) = (status_bytes("VmPeak"), status_bytes("VmHWM"));
            let result = decode(&reader, &case);
            (result, status_bytes("VmPeak").saturating_sub(vm), status_bytes("VmHWM").saturating_sub(rss))
        })
        .expect("thread")
        .join()
        .expect("decode thread");
    let outcome = match result {
        Ok(()) => "decoded".to_string(),
        Err(e) => format!("error: {}", e.chars().take(80).collect::<String>()),
    };
    // Crate errors may quote payload bytes: escaped like any other output.
    let _ = mqscope::sanitize::print_text(&format!("\nOUTCOME vm={vm} rss={rss} {outcome}\n"));
}

#[derive(Debug)]
enum Outcome {
    /// Returned (an error or a value), with how much the peak address space and the peak
    /// resident memory grew.
    Returned { vm: usize, rss: usize, said: String },
    /// The process died: an allocation failed or the stack overflowed (what it printed).
    Died(String),
}

fn run(reader: &str, case: &str, stack: usize) -> Outcome {
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new(exe)
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("MQSCOPE_READER_CASE", format!("{reader} {case} {stack}"))
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let Some(line) = stdout.lines().find_map(|l| l.split_once("OUTCOME ").map(|(_, rest)| rest)) else {
        let why = stderr
            .lines()
            .find(|l| l.contains("memory allocation") || l.contains("overflowed its stack"))
            .unwrap_or("no outcome printed");
        return Outcome::Died(format!("{why} ({})", out.status));
    };
    let field = |name: &str| -> usize {
        line.split(' ').find_map(|w| w.strip_prefix(name)).and_then(|v| v.parse().ok()).unwrap_or(usize::MAX)
    };
    let said = line.splitn(3, ' ').nth(2).unwrap_or_default().to_string();
    Outcome::Returned { vm: field("vm="), rss: field("rss="), said }
}

const MIB: usize = 1 << 20;

fn said(o: &Outcome) -> &str {
    match o {
        Outcome::Returned { said, .. } => said,
        Outcome::Died(why) => why,
    }
}

/// The facts the readers' module comments cite. Each case runs on threads of 256 KiB, 2 MiB (a
/// spawned thread's default) and 8 MiB (the main thread's) stack; the whole table is printed.
#[test]
fn hostile_lengths_nesting_and_counts_ours_and_the_crates() {
    if std::env::var("MQSCOPE_READER_CASE").is_ok() {
        return;
    }
    let mut report = String::new();
    let mut results = std::collections::HashMap::new();
    for case in HUGE.iter().chain(DEEP.iter()).chain(MANY.iter()) {
        for reader in ["ours", "crate", "crate64"] {
            for stack in [256 << 10, 2 * MIB, 8 * MIB] {
                let o = run(reader, case, stack);
                report.push_str(&format!("{case:16} {reader:7} stack {:>4} KiB: {o:?}\n", stack >> 10));
                results.insert((*case, reader, stack), o);
            }
        }
    }
    let _ = mqscope::sanitize::print_text(&report);
    let get = |case: &'static str, reader: &'static str, stack: usize| -> &Outcome { &results[&(case, reader, stack)] };
    // A declared 4 GiB: every reader refuses it without reserving it (the address space does not
    // grow by as much as 64 MiB).
    for case in HUGE {
        for reader in ["ours", "crate"] {
            let o = get(case, reader, 2 * MIB);
            let small = matches!(o, Outcome::Returned { vm, said, .. } if *vm < 64 * MIB && said.starts_with("error"));
            assert!(small, "{case} {reader}: {o:?}\n{report}");
        }
    }
    // 100,000 levels: ours stops at 64 on a spawned thread's stack; so do the crates when told to.
    for case in DEEP {
        for reader in ["ours", "crate64"] {
            let o = get(case, reader, 2 * MIB);
            assert!(said(o).starts_with("error"), "{case} {reader}: {o:?}\n{report}");
        }
    }
    // A million values in under 1 MiB: ours stops at 262,144; the crates have no such limit and
    // build the whole tree.
    for case in MANY {
        let ours = get(case, "ours", 2 * MIB);
        assert!(said(ours).contains("more than 262144 values"), "{case}: {ours:?}\n{report}");
        for reader in ["crate", "crate64"] {
            let o = get(case, reader, 2 * MIB);
            let built = matches!(o, Outcome::Returned { rss, said, .. } if said == "decoded" && *rss > 16 * MIB);
            assert!(built, "{case} {reader}: {o:?}\n{report}");
        }
    }
}
