//! `kiln-builderd`: everything happens in `builderd::cli`, so test harnesses can build the same
//! program.

fn main() -> std::process::ExitCode {
    builderd::cli::main()
}
