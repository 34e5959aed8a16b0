//! Turns a run of `cargo bench --bench workloads` (and `--bench workloads_mimalloc`, and
//! `--bench byte_pool` for the calibration overhead) into the tables of `docs/BENCHMARKS.md`,
//! measures W5 (memory, one fresh process per variant), and draws two charts into `docs/`:
//! W3 per variant, and W4's calibrated default size over time.
//!
//! ```sh
//! cargo bench --bench workloads && cargo bench --bench workloads_mimalloc
//! cargo bench --bench byte_pool -- calibration_overhead
//! cargo run --release --example bench_report
//! ```
//!
//! It rewrites the part of `docs/BENCHMARKS.md` between `<!-- workloads:begin -->` and
//! `<!-- workloads:end -->`, and `docs/w3_body_assembly.svg`, `docs/w4_default_size.svg`.

#[allow(dead_code)]
#[path = "../benches/shared/variants.rs"]
mod variants;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use bytebufferpool::{AgePolicy, ByteBufferPool, CalibrationConfig};
use plotters::prelude::*;

const BEGIN: &str = "<!-- workloads:begin -->";
const END: &str = "<!-- workloads:end -->";

/// Medians (ns) of one criterion group: bench id → nanoseconds.
type Group = BTreeMap<String, f64>;

fn criterion_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("criterion")
}

/// Reads every `<group>/<bench...>/new/estimates.json` under the group's directory.
fn read_group(name: &str) -> Group {
    let dir = criterion_dir().join(name.replace('/', "_"));
    let mut out = Group::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n != "report" && n != "base" && n != "change")
            {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "estimates.json")
                && p.parent()
                    .and_then(Path::file_name)
                    .is_some_and(|n| n == "new")
            {
                // The bench's own name (directory names are sanitised: `<` becomes `_`).
                let meta = p.with_file_name("benchmark.json");
                let meta: serde_json::Value = std::fs::read_to_string(meta)
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default();
                let mut id = meta["function_id"].as_str().unwrap_or_default().to_string();
                if let Some(v) = meta["value_str"].as_str() {
                    id = format!("{id}/{v}");
                }
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                if let Some(ns) = json["median"]["point_estimate"].as_f64() {
                    out.insert(id, ns);
                }
            }
        }
    }
    out
}

/// The variant's name in a bench id (`W2`'s ids carry `/<threads>`).
fn variant_of(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

fn by_variant(g: &Group) -> BTreeMap<String, f64> {
    g.iter()
        .map(|(id, &ns)| (variant_of(id).to_string(), ns))
        .collect()
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1000.0)
    } else if ns >= 100.0 {
        format!("{ns:.0} ns")
    } else {
        format!("{ns:.2} ns")
    }
}

/// W5 in this process: burst, then idle, RSS after each (KiB above the start).
fn w5_child(name: &str) {
    let v = variant(name);
    let data = variants::pattern();
    let start = rss_kib();
    let mut w = v.worker();
    std::hint::black_box(w.burst(1000, 65536, &data));
    let after_burst = rss_kib();
    w.idle();
    let after_idle = rss_kib();
    // glibc keeps freed memory below its heap's top until asked; this shows what the variant
    // gave back to the allocator, as opposed to what the allocator gave back to the system.
    // SAFETY: malloc_trim only releases free memory of glibc's own heaps.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
    let after_trim = rss_kib();
    println!(
        "{} {} {}",
        after_burst.saturating_sub(start),
        after_idle.saturating_sub(start),
        after_trim.saturating_sub(start)
    );
}

/// W3 in this process: one pass over sizes.txt; prints the peak RSS (VmHWM) in KiB.
fn w3_child(name: &str) {
    let v = variant(name);
    let (data, sizes) = (variants::pattern(), variants::sizes());
    let mut w = v.worker();
    let sum: u64 = sizes.iter().map(|&s| w.body(s, &data)).sum();
    std::hint::black_box(sum);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("0");
    println!("{hwm}");
}

/// W3's peak RSS per variant (MiB), each in a fresh process.
fn w3_peaks() -> BTreeMap<String, f64> {
    in_children("--w3")
        .into_iter()
        .map(|(name, kib)| (name, kib.first().copied().unwrap_or(0) as f64 / 1024.0))
        .collect()
}

/// The variant of this name.
fn variant(name: &str) -> Arc<dyn variants::Variant> {
    variants::all()
        .into_iter()
        .find(|v| v.name() == name)
        .unwrap_or_else(|| panic!("no variant {name}"))
}

/// Runs this example again with `flag NAME` for every variant, each in a fresh process, and
/// returns the numbers each printed. A child that fails stops the report: no silent zeros.
fn in_children(flag: &str) -> Vec<(String, Vec<u64>)> {
    let me = std::env::current_exe().expect("own path");
    variants::all()
        .iter()
        .map(|v| {
            let out = Command::new(&me)
                .args([flag, v.name()])
                .output()
                .expect("start a child");
            assert!(
                out.status.success(),
                "{flag} {} failed: {}",
                v.name(),
                String::from_utf8_lossy(&out.stderr)
            );
            let numbers = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(|n| n.parse().expect("a number"))
                .collect();
            (v.name().to_string(), numbers)
        })
        .collect()
}

fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

/// W5 for every variant, each in a fresh process of this example: KiB after the burst, after
/// idle + ageing, after `malloc_trim`.
fn w5_all() -> Vec<(String, u64, u64, u64)> {
    in_children("--w5")
        .into_iter()
        .map(|(name, n)| {
            let at = |i: usize| n.get(i).copied().unwrap_or(0);
            (name, at(0), at(1), at(2))
        })
        .collect()
}

/// W4's default size after every 1,000 bodies, for our default configuration and Go's.
fn w4_traces() -> Vec<(&'static str, Vec<(u32, f64)>)> {
    let data = variants::pattern();
    let mut seeded = CalibrationConfig::default();
    seeded.seed = Some(20261127);
    [
        ("ours (1 in 32 sampled, window 64)", seeded),
        ("Go's rules (every put, 42,000)", CalibrationConfig::go()),
    ]
    .into_iter()
    .map(|(label, cfg)| {
        let pool = ByteBufferPool::builder()
            .calibration(cfg)
            .age_policy(AgePolicy::Manual)
            .build()
            .expect("valid");
        let mut trace = Vec::new();
        for i in 0..100_000u32 {
            let size = if i < 50_000 { 256 } else { 65536 };
            let mut b = pool.get();
            variants::assemble(&mut *b, size, &data);
            drop(b);
            if (i + 1) % 1000 == 0 {
                trace.push((i + 1, pool.stats().default_size.max(1) as f64));
            }
        }
        (label, trace)
    })
    .collect()
}

fn draw_w3(
    path: &Path,
    rows: &[(String, f64, Option<f64>)],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (900, 40 + 34 * rows.len() as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let max = rows
        .iter()
        .map(|r| r.1.max(r.2.unwrap_or(0.0)))
        .fold(0.0, f64::max)
        * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "W3 body assembly: ns per body (lower is better)",
            ("sans-serif", 18),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(10)
        .build_cartesian_2d(0.0..max * 1.45, 0.0..rows.len() as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("ns per body")
        .draw()?;
    // Each variant's name at the end of its bars.
    chart.draw_series(rows.iter().enumerate().map(|(i, (name, ns, mi))| {
        let end = ns.max(mi.unwrap_or(0.0));
        Text::new(
            format!(
                "{name}  {ns:.0} / {} ns",
                mi.map_or("–".into(), |m| format!("{m:.0}"))
            ),
            (end + max * 0.01, i as f64 + 0.62),
            ("sans-serif", 13),
        )
    }))?;
    for (i, (_, ns, mi)) in rows.iter().enumerate() {
        let y = i as f64;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y + 0.15), (*ns, y + 0.5)],
            BLUE.mix(0.7).filled(),
        )))?;
        if let Some(m) = mi {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y + 0.5), (*m, y + 0.85)],
                RED.mix(0.5).filled(),
            )))?;
        }
    }
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(0.0, 0.0), (0.0, 0.0)],
            BLUE.mix(0.7).filled(),
        )))?
        .label("glibc")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], BLUE.mix(0.7).filled()));
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(0.0, 0.0), (0.0, 0.0)],
            RED.mix(0.5).filled(),
        )))?
        .label("mimalloc")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], RED.mix(0.5).filled()));
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;
    root.present()?;
    Ok(())
}

fn draw_w4(
    path: &Path,
    traces: &[(&str, Vec<(u32, f64)>)],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (900, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "W4: calibrated default_size, 50,000 × 256 B then 50,000 × 64 KiB",
            ("sans-serif", 18),
        )
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(70)
        .build_cartesian_2d(0u32..100_000u32, (1.0f64..131_072.0).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("bodies")
        .y_desc("default_size (bytes)")
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for ((label, trace), color) in traces.iter().zip([BLUE, RED]) {
        chart
            .draw_series(LineSeries::new(
                trace.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(*label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;
    root.present()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, name] = &args[..] {
        if flag == "--w5" {
            w5_child(name);
            return Ok(());
        }
        if flag == "--w3" {
            w3_child(name);
            return Ok(());
        }
    }
    let w1 = by_variant(&read_group("W1_get_put"));
    let w2 = by_variant(&read_group("W2_get_put_parallel"));
    let w3 = by_variant(&read_group("W3_body_assembly"));
    let w4: BTreeMap<String, f64> = by_variant(&read_group("W4_shift"))
        .into_iter()
        .map(|(k, v)| (k, v / 50_000.0))
        .collect();
    let m1 = by_variant(&read_group("mimalloc/W1_get_put"));
    let m3 = by_variant(&read_group("mimalloc/W3_body_assembly"));
    if w1.is_empty() {
        return Err("no criterion results: run `cargo bench --bench workloads` first".into());
    }
    let threads = read_group("W2_get_put_parallel")
        .keys()
        .next()
        .and_then(|id| id.split('/').nth(1))
        .unwrap_or("?")
        .to_string();
    let w5 = w5_all();
    let w3_peak = w3_peaks();
    let mean_body = {
        let sizes = variants::sizes();
        sizes.iter().sum::<usize>() as f64 / sizes.len() as f64
    };
    let traces = w4_traces();

    let order: Vec<String> = variants::all()
        .iter()
        .map(|v| v.name().to_string())
        .collect();
    let mut md = String::new();
    let date = Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()?
        .stdout;
    let rustc = Command::new("rustc").arg("--version").output()?.stdout;
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    writeln!(md, "{BEGIN}")?;
    writeln!(
        md,
        "## Workloads W1–W5, every variant (generated by `examples/bench_report.rs`)\n"
    )?;
    writeln!(
        md,
        "Run {} · `nproc` = {nproc} · CPU: {cpu} · {} · release profile. Medians of criterion's \
         estimates from `cargo bench --bench workloads` (glibc malloc) and `--bench \
         workloads_mimalloc`; W5 from this tool. Regenerate: the commands at the top of \
         `examples/bench_report.rs`.\n",
        String::from_utf8_lossy(&date).trim(),
        String::from_utf8_lossy(&rustc).trim()
    )?;
    let floor = |m: &BTreeMap<String, f64>| m.get("floor").copied();
    let vecx = |m: &BTreeMap<String, f64>| m.get("vec_with_capacity").copied();
    let table = |md: &mut String,
                 title: &str,
                 m: &BTreeMap<String, f64>,
                 extra: Option<&BTreeMap<String, f64>>|
     -> std::fmt::Result {
        writeln!(md, "### {title}\n")?;
        if extra.is_some() {
            writeln!(
                md,
                "| variant | time | ÷ floor | ÷ Vec::with_capacity | with mimalloc |"
            )?;
            writeln!(md, "|---|---:|---:|---:|---:|")?;
        } else {
            writeln!(md, "| variant | time | ÷ floor | ÷ Vec::with_capacity |")?;
            writeln!(md, "|---|---:|---:|---:|")?;
        }
        for name in &order {
            let Some(&ns) = m.get(name) else { continue };
            let rf = floor(m).map_or("–".into(), |f| format!("{:.2}×", ns / f));
            let rv = vecx(m).map_or("–".into(), |v| format!("{:.2}×", ns / v));
            let bold = if name.starts_with("bytebufferpool") {
                "**"
            } else {
                ""
            };
            write!(md, "| {bold}{name}{bold} | {} | {rf} | {rv} |", fmt_ns(ns))?;
            if let Some(e) = extra {
                write!(md, " {} |", e.get(name).map_or("–".into(), |&x| fmt_ns(x)))?;
            }
            writeln!(md)?;
        }
        writeln!(md)
    };
    table(
        &mut md,
        "W1 get + 64 B + put, 1 thread (ns/op)",
        &w1,
        Some(&m1),
    )?;
    table(
        &mut md,
        &format!("W2 the same on {threads} threads at once (ns per op: wall time / all ops)"),
        &w2,
        None,
    )?;
    table(
        &mut md,
        "W3 body assembly, sizes.txt in 1,460-byte chunks (ns/body)",
        &w3,
        Some(&m3),
    )?;
    writeln!(
        md,
        "W3 throughput and the peak RSS of one pass over the 100,000 sizes (a fresh process \
         per variant, glibc):\n"
    )?;
    writeln!(md, "| variant | MB/s | peak RSS |")?;
    writeln!(md, "|---|---:|---:|")?;
    for name in &order {
        if let Some(&ns) = w3.get(name) {
            let peak = w3_peak.get(name).copied().unwrap_or(0.0);
            writeln!(
                md,
                "| {name} | {:.0} | {peak:.1} MiB |",
                mean_body / ns * 1000.0
            )?;
        }
    }
    writeln!(md)?;
    table(
        &mut md,
        "W4 shift: ns per 64 KiB body in the second half (after 50,000 × 256 B)",
        &w4,
        None,
    )?;

    writeln!(
        md,
        "### W5 burst then idle: 1,000 × 64 KiB held, released, then the variant's ageing\n"
    )?;
    writeln!(
        md,
        "RSS above the process's start, each variant in a fresh process: after the 1,000 buffers are released, after the variant's idle step (our pools: two `age()` cycles; the others have none), and after glibc's `malloc_trim(0)`, which returns to the system what the variant gave back to the allocator. \"Still held\" is the last column over the first.\n"
    )?;
    writeln!(
        md,
        "| variant | after the burst | after idle + ageing | after malloc_trim | still held |"
    )?;
    writeln!(md, "|---|---:|---:|---:|---:|")?;
    let mib = |k: &u64| *k as f64 / 1024.0;
    for (name, burst, idle, trim) in &w5 {
        let pct = if *burst > 0 {
            100.0 * *trim as f64 / *burst as f64
        } else {
            0.0
        };
        writeln!(
            md,
            "| {name} | {:.1} MiB | {:.1} MiB | {:.1} MiB | {pct:.0} % |",
            mib(burst),
            mib(idle),
            mib(trim)
        )?;
    }
    writeln!(md, "\n![W3 per variant](w3_body_assembly.svg)\n")?;
    writeln!(md, "![W4 default size over time](w4_default_size.svg)\n")?;

    // Targets of DESIGN.md §5.
    writeln!(md, "### The targets of DESIGN.md §5, against this run\n")?;
    writeln!(md, "| target | measured | met |")?;
    writeln!(md, "|---|---|---|")?;
    let ours = "bytebufferpool_local";
    let peers = [
        "opool",
        "lockfree_object_pool_linear",
        "lockfree_object_pool_spinlock",
        "object_pool",
        "sharded_slab",
        "mutex_vec",
    ];
    let best_peer = |m: &BTreeMap<String, f64>| {
        peers
            .iter()
            .filter_map(|p| m.get(*p).map(|&v| (*p, v)))
            .fold(("–", f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a })
    };
    let yes = |ok: bool| if ok { "yes" } else { "**no**" };
    if let (Some(&o), Some(v)) = (w1.get(ours), vecx(&w1)) {
        let (bp, bv) = best_peer(&w1);
        writeln!(
            md,
            "| W1 ≤ 0.5× `Vec::with_capacity` | {:.2}× ({} vs {}) | {} |",
            o / v,
            fmt_ns(o),
            fmt_ns(v),
            yes(o <= 0.5 * v)
        )?;
        writeln!(
            md,
            "| W1 ≥ 3× faster than the best peer | {:.2}× faster than {bp} ({}) | {} |",
            bv / o,
            fmt_ns(bv),
            yes(bv >= 3.0 * o)
        )?;
    }
    if let (Some(&o1), Some(&o2), Some(v2)) = (w1.get(ours), w2.get(ours), vecx(&w2)) {
        let t: f64 = threads.parse().unwrap_or(1.0);
        writeln!(
            md,
            "| W2 speed-up over W1 ≥ 0.8 × threads ({:.1}) | {:.2} | {} |",
            0.8 * t,
            o1 / o2,
            yes(o1 / o2 >= 0.8 * t)
        )?;
        writeln!(
            md,
            "| W2 per op ≤ 0.5× `Vec::with_capacity`'s W2 | {:.2}× | {} |",
            o2 / v2,
            yes(o2 <= 0.5 * v2)
        )?;
    }
    if let (Some(&o), Some(f)) = (w3.get(ours), floor(&w3)) {
        let (bp, bv) = best_peer(&w3);
        writeln!(
            md,
            "| W3 ≤ 1.10× the floor | {:.2}× | {} |",
            o / f,
            yes(o <= 1.10 * f)
        )?;
        writeln!(
            md,
            "| W3 faster than every peer | best peer {bp} {} vs ours {} | {} |",
            fmt_ns(bv),
            fmt_ns(o),
            yes(o < bv)
        )?;
    }
    if let Some((_, trace)) = traces.first() {
        let right = trace
            .iter()
            .find(|(i, d)| *i > 50_000 && *d >= 65536.0)
            .map(|(i, _)| i - 50_000);
        writeln!(
            md,
            "| W4 default size right within 5,000 bodies of the shift | {} | {} |",
            right.map_or("never".into(), |n| format!(
                "within {n} (sampled every 1,000)"
            )),
            yes(right.is_some_and(|n| n <= 5000))
        )?;
    }
    if let (Some(&o), Some(f)) = (w4.get(ours), floor(&w4)) {
        writeln!(
            md,
            "| W4 second half ≤ 1.15× the floor | {:.2}× | {} |",
            o / f,
            yes(o <= 1.15 * f)
        )?;
    }
    if let Some((_, b, i, t)) = w5.iter().find(|(n, ..)| n == ours) {
        let pct = if *b > 0 {
            100.0 * *t as f64 / *b as f64
        } else {
            0.0
        };
        let raw = if *b > 0 {
            100.0 * *i as f64 / *b as f64
        } else {
            0.0
        };
        writeln!(
            md,
            "| W5 ≤ 5 % of the burst held after two cycles | {pct:.1} % after `malloc_trim` ({raw:.0} % before: glibc keeps the freed memory) | {} |",
            yes(pct <= 5.0)
        )?;
    }
    let ov = read_group("calibration_overhead");
    if let (Some(&b), Some(&r)) = (
        ov.get("ByteBufferPool get+put"),
        ov.get("raw Pool<ByteBuffer> get+put"),
    ) {
        writeln!(
            md,
            "| calibration overhead ≤ 1.10× raw `Pool<ByteBuffer>` | {:.2}× | {} |",
            b / r,
            yes(b <= 1.10 * r)
        )?;
    }
    writeln!(
        md,
        "| zero allocations per warm get/put | 0 (tests/alloc_count.rs) | yes |"
    )?;
    writeln!(md, "\n{END}")?;

    let doc = Path::new("docs/BENCHMARKS.md");
    let old = std::fs::read_to_string(doc).unwrap_or_default();
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(a), Some(b)) => format!("{}{}{}", &old[..a], md.trim_end(), &old[b + END.len()..]),
        _ => format!("{}\n{}\n", old.trim_end(), md.trim_end()),
    };
    std::fs::write(doc, new)?;
    let mut w3_rows: Vec<(String, f64, Option<f64>)> = order
        .iter()
        .filter_map(|n| w3.get(n).map(|&ns| (n.clone(), ns, m3.get(n).copied())))
        .collect();
    w3_rows.reverse(); // first variant at the top
    draw_w3(Path::new("docs/w3_body_assembly.svg"), &w3_rows)?;
    draw_w4(Path::new("docs/w4_default_size.svg"), &traces)?;
    println!("{md}");
    println!("wrote docs/BENCHMARKS.md, docs/w3_body_assembly.svg, docs/w4_default_size.svg");
    Ok(())
}
