fn main() -> std::process::ExitCode {
    stackcheck::cli::main()
}
