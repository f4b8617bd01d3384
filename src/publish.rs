//! `chorus publish` and `chorus budget`: releasing a survey's planned tables
//! through noise, and showing what its privacy budget has paid for.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use collector::db;
use collector::opening::Opener;
use collector::publish::publish_release;
use surveys::{Epsilon, Survey};

#[derive(Args, Debug)]
pub struct PublishArgs {
    /// The survey's id (as in its file).
    survey: String,
    /// With a publication plan: optional, and if given it must equal the ε the
    /// release is charged (a confirmation). Without a plan: the ε to spend,
    /// split equally between the choice questions, e.g. 1, 0.5 or 1/3.
    #[arg(long)]
    epsilon: Option<String>,
    /// SQLite database file holding the responses.
    #[arg(long, default_value = "chorus.db")]
    db: PathBuf,
    /// Folder of survey files.
    #[arg(long, default_value = "surveys/library")]
    surveys: PathBuf,
    /// Folder to write the report into (created if missing), laid out as the
    /// collector serves it: `{survey}/{release}.json`, one
    /// `{survey}/{release}.{lang}.html` page per survey language and one
    /// `{survey}/{release}/{table}.csv` per table.
    #[arg(long)]
    out: PathBuf,
    /// The researchers' private key, for a survey whose answers are sealed.
    #[command(flatten)]
    keys: crate::keys::KeyArgs,
}

#[derive(Args, Debug)]
pub struct BudgetArgs {
    /// The survey's id (as in its file).
    survey: String,
    /// SQLite database file.
    #[arg(long, default_value = "chorus.db")]
    db: PathBuf,
    /// Folder of survey files.
    #[arg(long, default_value = "surveys/library")]
    surveys: PathBuf,
}

/// The survey `id` among those loaded from `dir`, or an error naming them.
pub(crate) fn find_survey<'a>(
    surveys: &'a std::collections::BTreeMap<String, Survey>,
    id: &str,
    dir: &Path,
) -> Result<&'a Survey> {
    surveys.get(id).ok_or_else(|| {
        anyhow!(
            "no survey `{id}` in {} (known: {})",
            dir.display(),
            surveys.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    })
}

pub fn run(args: PublishArgs) -> Result<ExitCode> {
    let epsilon: Option<Epsilon> = match &args.epsilon {
        None => None,
        Some(text) => {
            let e: Epsilon = text.parse().map_err(|e| anyhow!("--epsilon: {e}"))?;
            if e.is_zero() {
                bail!("--epsilon must be greater than 0");
            }
            Some(e)
        }
    };
    let surveys = collector::load_surveys(&args.surveys)?;
    let survey = find_survey(&surveys, &args.survey, &args.surveys)?;
    // The plan and its charge are checked before the database is opened.
    let plan = analysis::prepare(survey, epsilon)?;
    drop(plan);
    if !args.db.is_file() {
        bail!(
            "no database at {}; run `chorus serve --db {}` first",
            args.db.display(),
            args.db.display()
        );
    }
    let mut conn = db::open(&args.db)?;
    let day = db::today();
    // ChaCha12 seeded from the operating system: a cryptographically secure generator.
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::try_from_os_rng()
        .map_err(|e| anyhow!("cannot seed the noise generator from the operating system: {e}"))?;
    let served = db::survey_definitions(&conn, &survey.id)?;
    let keys: Vec<seal::SecretKey> = args.keys.unlock()?.into_iter().collect();
    let mut opener = Opener::new(survey, &served, keys);
    let published = publish_release(&mut conn, survey, epsilon, &day, &mut opener, &mut rng)?;
    crate::admin::report_quarantine(&opener);

    // The folder mirrors the collector's /results/{survey}/ so that the
    // pages' relative links (`{release}.json`, `{release}/{table}.csv`)
    // work when the files are opened from disk or put on any web server.
    let dir = args.out.join(&survey.id);
    let release = &published.release.release_id;
    let mut written = Vec::new();
    let mut write = |path: PathBuf, body: &str| -> Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, body).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path.display().to_string());
        Ok(())
    };
    write(dir.join(format!("{release}.json")), &published.release.json)?;
    for (lang, html) in &published.pages {
        write(dir.join(format!("{release}.{lang}.html")), html)?;
    }
    for (table, csv) in &published.csvs {
        write(dir.join(release).join(format!("{table}.csv")), csv)?;
    }
    let spent = db::spent(&conn, &survey.id)?;
    let remaining = survey
        .privacy_budget
        .checked_sub(spent)
        .unwrap_or(Epsilon::ZERO);
    println!(
        "published {} release {} with ε = {}{}; budget spent {spent} of {}, {remaining} remains",
        survey.id,
        published.release.release_id,
        published.report.epsilon,
        if published.report.delta > 0.0 {
            format!(" (δ = {})", db::delta_text(published.report.delta))
        } else {
            String::new()
        },
        survey.privacy_budget
    );
    println!("  {}", published.description);
    for w in written {
        println!("  wrote {w}");
    }
    println!(
        "  served at /results/{}/{}",
        survey.id, published.release.release_id
    );
    Ok(ExitCode::SUCCESS)
}

/// `chorus budget`: the ledger of a survey and what remains.
pub fn budget(args: BudgetArgs) -> Result<ExitCode> {
    let surveys = collector::load_surveys(&args.surveys)?;
    let survey = find_survey(&surveys, &args.survey, &args.surveys)?;
    if !args.db.is_file() {
        bail!("no database at {}", args.db.display());
    }
    let conn = db::open_read_only(&args.db)?;
    let ledger = db::ledger(&conn, &survey.id)?;
    let spent = db::epsilon_spent(&ledger)
        .ok_or_else(|| anyhow!("the ledger of `{}` adds up past what ε can hold", survey.id))?;
    let remaining = survey
        .privacy_budget
        .checked_sub(spent)
        .unwrap_or(Epsilon::ZERO);
    let delta = db::delta_spent(&ledger);
    println!(
        "{}: privacy budget ε = {}, spent {spent}, {remaining} remains{}",
        survey.id,
        survey.privacy_budget,
        if delta > 0.0 {
            format!("; δ spent {}", db::delta_text(delta))
        } else {
            String::new()
        }
    );
    if ledger.is_empty() {
        println!("  nothing published yet");
    }
    for e in &ledger {
        println!(
            "  {}  release {:<14} ε = {:<10} δ = {:<6} {}",
            e.charged_day,
            e.release_id,
            e.epsilon,
            db::delta_text(e.delta),
            e.description
        );
    }
    match analysis::prepare(survey, None) {
        Ok(plan) => println!(
            "  the next release of the plan ({} tables) would cost ε = {}{}",
            plan.table_count(),
            plan.charge().epsilon,
            if plan.charge().epsilon > remaining {
                ": more than remains, so it would be refused"
            } else {
                ""
            }
        ),
        Err(analysis::AnalysisError::EpsilonNeeded) => {
            println!("  no publication plan: each `chorus publish --epsilon E` charges E")
        }
        Err(e) => println!("  the plan cannot be published: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}
