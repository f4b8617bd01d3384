//! `chorus rds estimate FILE.csv --id COL --recruiter COL --degree COL
//! --variable COL`: respondent-driven sampling estimates of a categorical
//! variable's population proportions from a recruitment file, with
//! bootstrap intervals, the chains' statistics and convergence by wave
//! (`analysis::rds`; the method is in docs/rds.md).
//!
//! Exit status: 0 with an estimate; 1 when the file cannot be read or used
//! (every problem in it is listed) or the estimator gives no estimate; 2 for
//! a wrong command line.

use std::path::PathBuf;
use std::process::ExitCode;

use analysis::rds::{self, BootstrapSpec, Columns, Estimator, Sample};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};

#[derive(Subcommand, Debug)]
pub enum RdsCommand {
    /// Estimate a categorical variable's population proportions (RDS-I or RDS-II), with Salganik bootstrap intervals, chain statistics and convergence by wave.
    Estimate(EstimateArgs),
}

#[derive(Args, Debug)]
pub struct EstimateArgs {
    /// The recruitment file: CSV (UTF-8, RFC 4180) with a header line and one row per respondent.
    file: PathBuf,
    /// The column of respondent ids (unique).
    #[arg(long, value_name = "COL")]
    id: String,
    /// The column of each respondent's recruiter's id; empty (or --seed-marker) for a seed.
    #[arg(long, value_name = "COL")]
    recruiter: String,
    /// The column of degrees (personal network sizes): numbers above 0.
    #[arg(long, value_name = "COL")]
    degree: String,
    /// The categorical variable to estimate; an empty cell is a missing value (kept in the chains, left out of the estimate).
    #[arg(long, value_name = "COL")]
    variable: String,
    /// rds-i: Salganik–Heckathorn (R's RDS.I.estimates); rds-ii: Volz–Heckathorn (R's RDS.II.estimates).
    #[arg(long, value_enum, default_value_t = EstimatorArg::RdsIi)]
    estimator: EstimatorArg,
    /// A recruiter value that marks a seed (such as `seed`, `0` or `-1`), besides an empty cell.
    #[arg(long, value_name = "VALUE")]
    seed_marker: Option<String>,
    /// text: readable tables; json: the documented layout `chorus-rds-estimate/1`.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Bootstrap replicates for the 95% intervals; 0 for none.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=100_000))]
    bootstrap: u64,
    /// The bootstrap generator's seed, to reproduce intervals; without it one is drawn and reported.
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EstimatorArg {
    #[value(name = "rds-i")]
    RdsI,
    #[value(name = "rds-ii")]
    RdsIi,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(command: RdsCommand) -> Result<ExitCode> {
    match command {
        RdsCommand::Estimate(args) => estimate(args),
    }
}

fn estimate(args: EstimateArgs) -> Result<ExitCode> {
    let name = args.file.display().to_string();
    if args.bootstrap == 1 {
        bail!("--bootstrap 1 gives no interval: use 0 (no bootstrap) or at least 2, such as 1000");
    }
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {name}"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow!("{name} is not UTF-8 text; save it as CSV in UTF-8"))?;
    let columns = Columns {
        id: &args.id,
        recruiter: &args.recruiter,
        degree: &args.degree,
        variable: &args.variable,
    };
    let sample = Sample::from_csv(&text, columns, args.seed_marker.as_deref())
        .map_err(|e| anyhow!("{name}: {e}"))?;
    let estimator = match args.estimator {
        EstimatorArg::RdsI => Estimator::RdsI,
        EstimatorArg::RdsIi => Estimator::RdsII,
    };
    let bootstrap = match args.bootstrap {
        0 => None,
        n => Some(BootstrapSpec {
            replicates: usize::try_from(n).unwrap_or(usize::MAX),
            seed: match args.seed {
                Some(s) => s,
                None => draw_seed()?,
            },
        }),
    };
    let analysis = rds::analyse(&sample, estimator, bootstrap).map_err(|e| {
        anyhow!(
            "{name}: {e}{}",
            if estimator == Estimator::RdsI {
                "; RDS-II (--estimator rds-ii) needs no equilibrium"
            } else {
                ""
            }
        )
    })?;
    let out = match args.format {
        Format::Text => rds::render_text(&analysis, &name),
        Format::Json => rds::render_json(&analysis, &name),
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// A seed from the operating system, reported with the intervals so that
/// they can be reproduced with --seed.
fn draw_seed() -> Result<u64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::try_from_os_rng()
        .map_err(|e| anyhow!("cannot seed the bootstrap from the operating system: {e}"))?;
    Ok(rng.random())
}
