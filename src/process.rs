//! Facts about this process that the screens report.

/// The process's resident memory (`VmRSS`) in bytes: the status line's baseline and `bench conn`'s memory
/// per connection; `None` where `/proc` is not.
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 =
        status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}
