//! `runner report DIR [--format vllm] [--phase NAME|all] [--out FILE]`: rewrites a run folder's
//! files (rebuilding a killed run's summary from its time series) and, with `--format vllm`, also
//! writes a phase as the JSON of `vllm bench serve --save-result` (`runner_reports::vllm`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use runner::run;
use runner_reports::vllm::{PhaseChoice, VllmError};

use crate::exit;

/// `runner report`'s arguments.
#[derive(Args)]
pub struct ReportArgs {
    /// The run folder.
    dir: PathBuf,
    /// What else to write: `vllm`, a phase as `vllm bench serve --save-result` writes it (see
    /// docs/OUTPUTS.md for the mapping), into DIR/vllm.json unless --out.
    #[arg(long, value_enum, default_value_t = Format::Report)]
    format: Format,
    /// With --format vllm: the phase to write, or `all` for a JSON array of every phase. Without
    /// it, the run's one phase that sent requests (a run with several is refused, listing them).
    #[arg(long, value_name = "NAME|all")]
    phase: Option<String>,
    /// With --format vllm: where to write instead of DIR/vllm.json (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// What `runner report` writes besides the folder's own files.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The folder's files only (summary.json, summary.csv, report.md, report.html), and the
    /// console summary.
    Report,
    /// Also a vLLM benchmark result (vllm.json).
    Vllm,
}

/// Runs `runner report`.
pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    if args.format == Format::Report && (args.phase.is_some() || args.out.is_some()) {
        eprintln!("error: --phase and --out go with --format vllm (see runner --help)");
        return Ok(ExitCode::from(exit::USAGE));
    }
    let summary = run::folder::rebuild(&args.dir)?;
    if args.format == Format::Report {
        print!("{}", runner_reports::render_console(&summary));
        println!("\nrun folder: {}", args.dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    let choice = args.phase.as_deref().map(PhaseChoice::parse).unwrap_or_default();
    let text = match runner_reports::vllm::render_vllm(&summary, &choice) {
        Ok(text) => text,
        // Which phase to write is the command line's to say.
        Err(e @ (VllmError::Several(_) | VllmError::Unknown { .. })) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(exit::USAGE));
        }
        Err(e) => anyhow::bail!("{e}"),
    };
    match args.out {
        Some(out) if out.as_os_str() == "-" => print!("{text}"),
        Some(out) => {
            let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            let name = out.file_name().with_context(|| format!("--out {} names no file", out.display()))?;
            run::folder::write_file(dir, &name.to_string_lossy(), &text)?;
            println!("wrote {}", out.display());
        }
        None => {
            run::folder::write_file(&args.dir, run::folder::VLLM_JSON, &text)?;
            println!("wrote {}", args.dir.join(run::folder::VLLM_JSON).display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
