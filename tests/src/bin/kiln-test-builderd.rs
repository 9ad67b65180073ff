//! `kiln-builderd` built inside the test package, so end-to-end tests run the builder with the
//! same dependency features as themselves (no rebuild of the workspace's own binaries).

fn main() -> std::process::ExitCode {
    builderd::cli::main()
}
