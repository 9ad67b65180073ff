//! Prints how long reading and validating the largest modulemd fixture takes (and emitting it).
//!
//! Run with `cargo run --release -p common --example modulemd_bench [iterations]`.

use std::time::{Duration, Instant};

use common::modulemd::mbs::load_modulemd;
use common::modulemd::{ParseMode, parse_stream};

const LARGEST: &str = include_str!("../src/modulemd/fixtures/spec-modulemd_stream_v2.yaml");

fn per_iteration(iterations: u32, mut work: impl FnMut()) -> Duration {
    work();
    let start = Instant::now();
    for _ in 0..iterations {
        work();
    }
    start.elapsed() / iterations
}

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(2000);
    let validate = per_iteration(iterations, || {
        let loaded = load_modulemd(LARGEST, Some("spec-modulemd_stream_v2.yaml"));
        let valid = loaded.map(|loaded| loaded.streams.iter().all(|stream| stream.validate().is_ok()));
        assert_eq!(valid, Ok(true));
    });
    let stream = parse_stream(LARGEST, ParseMode::Lenient).unwrap_or_default();
    let emit = per_iteration(iterations, || {
        assert!(stream.emit().is_ok());
    });
    println!(
        "spec-modulemd_stream_v2.yaml ({} bytes), {iterations} iterations: parse+validate {:.1} µs, emit {:.1} µs",
        LARGEST.len(),
        validate.as_secs_f64() * 1e6,
        emit.as_secs_f64() * 1e6
    );
}
