//! The on-disk compile cache is checked before its code runs: an entry that was corrupted (bytes
//! flipped in its machine code, cut short, overwritten) is ignored, compiled again, replaced and
//! reported in one line, and the run succeeds. Before the check, code overwritten in the cache
//! crashed every run with SIGILL and no message.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{runner, scenario};

/// `runner play ttft-probe` (two requests to the built-in server) with its compile cache in
/// `cache` and warnings shown.
fn play(cache: &Path) -> Output {
    let out = tempfile::tempdir().expect("a temporary directory");
    runner()
        .env("RUNNER_CACHE_DIR", cache)
        .env("RUNNER_LOG", "warn")
        .arg("play")
        .arg(scenario("ttft-probe"))
        .args(["-p", "requests=2", "-p", "max_tokens=4", "--mock", "ttft=1ms,itl=1ms", "--quiet", "--out"])
        .arg(out.path().join("run"))
        .output()
        .expect("running the runner binary")
}

/// The one entry in the cache folder (beside it, its digest file `<entry>.sha256`).
fn entry(cache: &Path) -> PathBuf {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(cache)
        .expect("the cache folder exists")
        .map(|e| e.expect("a folder entry").path())
        .collect();
    entries.sort();
    assert_eq!(entries.len(), 2, "one entry, its digest and no leftover temporary file: {entries:?}");
    let digest = entries.pop().expect("the digest file");
    let entry = entries.pop().expect("the entry");
    assert_eq!(digest.as_os_str().to_string_lossy(), format!("{}.sha256", entry.display()));
    entry
}

/// Lines of stderr that speak of the compile cache.
fn cache_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("compile cache"))
        .map(str::to_string)
        .collect()
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "the run must succeed ({:?}); stderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The byte range of the `.text` section (the compiled machine code) of the ELF object inside a
/// cache entry, found by reading the ELF64 section headers.
fn text_section(bytes: &[u8]) -> std::ops::Range<usize> {
    let elf = bytes.windows(4).position(|w| w == b"\x7fELF").expect("the entry holds an ELF object");
    let e = &bytes[elf..];
    let u16_at = |o: usize| u16::from_le_bytes([e[o], e[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(e[o..o + 4].try_into().expect("4 bytes")) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(e[o..o + 8].try_into().expect("8 bytes")) as usize;
    let (shoff, shentsize, shnum, shstrndx) = (u64_at(0x28), u16_at(0x3A), u16_at(0x3C), u16_at(0x3E));
    let section = |i: usize| shoff + i * shentsize;
    let names = u64_at(section(shstrndx) + 0x18);
    for i in 0..shnum {
        let h = section(i);
        let name_at = names + u32_at(h);
        if e[name_at..].starts_with(b".text\0") {
            let (offset, size) = (u64_at(h + 0x18), u64_at(h + 0x20));
            assert!(size > 0, "a non-empty .text");
            return elf + offset..elf + offset + size;
        }
    }
    panic!("no .text section in the entry");
}

/// An instruction that traps at once on this machine (`ud2` on x86-64, `udf #0` on AArch64):
/// what a cache entry with its code overwritten would run.
fn trapping_code(len: usize) -> Vec<u8> {
    let pattern: &[u8] = if cfg!(target_arch = "x86_64") { &[0x0f, 0x0b] } else { &[0, 0, 0, 0] };
    pattern.iter().copied().cycle().take(len).collect()
}

#[test]
fn a_corrupted_cache_entry_is_rebuilt_reported_once_and_never_run() {
    let cache = tempfile::tempdir().expect("a temporary directory");
    let first = play(cache.path());
    assert_success(&first);
    assert!(cache_lines(&first).is_empty(), "a fresh entry is not a problem: {:?}", cache_lines(&first));
    let file = entry(cache.path());
    let good = std::fs::read(&file).expect("reading the entry");

    let from_cache = play(cache.path());
    assert_success(&from_cache);
    assert!(cache_lines(&from_cache).is_empty(), "{:?}", cache_lines(&from_cache));

    let code = text_section(&good);
    let corruptions: Vec<(&str, Vec<u8>)> = vec![
        ("machine code overwritten with trapping instructions", {
            let mut b = good.clone();
            b.splice(code.clone(), trapping_code(code.len()));
            b
        }),
        ("one bit flipped in the machine code", {
            let mut b = good.clone();
            b[code.start + code.len() / 2] ^= 0x01;
            b
        }),
        ("cut in half", good[..good.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("intact, but its digest file deleted (an older runner's entry)", good.clone()),
    ];
    for (what, bytes) in corruptions {
        std::fs::write(&file, &bytes).expect("corrupting the entry");
        if what.contains("digest file deleted") {
            std::fs::remove_file(format!("{}.sha256", file.display())).expect("deleting the digest");
        }
        let out = play(cache.path());
        assert_success(&out);
        let lines = cache_lines(&out);
        assert_eq!(lines.len(), 1, "{what}: one line about the cache, got {lines:?}");
        assert!(
            lines[0].contains(&file.file_name().expect("a name").to_string_lossy().to_string())
                && lines[0].contains("compiled again"),
            "{what}: the line names the entry and says it was rebuilt: {}",
            lines[0]
        );
        assert_eq!(entry(cache.path()), file, "{what}: the entry keeps its name");
        if bytes != good {
            assert_ne!(
                std::fs::read(&file).expect("reading the entry"),
                bytes,
                "{what}: the entry was replaced"
            );
        }
        let after = play(cache.path());
        assert_success(&after);
        assert!(
            cache_lines(&after).is_empty(),
            "{what}: the replaced entry is good: {:?}",
            cache_lines(&after)
        );
    }
}
