//! `chorus publish` and `chorus budget`: releasing a survey's planned tables
//! through noise, and showing what its privacy budget has paid for.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use collector::db;
use rand::{CryptoRng, RngCore};
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

/// Why a publish failed: a refusal from analysis or a database problem.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Analysis(#[from] analysis::AnalysisError),
    #[error(transparent)]
    Budget(#[from] analysis::budget::BudgetError),
    #[error(transparent)]
    Store(#[from] db::StoreError),
}

/// A stored release and everything rendered from it.
#[derive(Debug)]
pub struct Published {
    pub release: db::Release,
    pub report: analysis::Report,
    /// `(language, page)` for every language of the survey.
    pub pages: Vec<(String, String)>,
    /// `(table id, csv)` for every table.
    pub csvs: Vec<(String, String)>,
    pub description: String,
}

/// The whole publication, the same for `chorus publish` and the benchmark:
/// resolve the plan and its charge (before the database is touched), then in
/// one transaction check the budget, charge it, read every response, add
/// noise and store the release (its JSON and default-language page); the
/// other pages and the CSVs are rendered after the commit.
pub fn publish_release<R: RngCore + CryptoRng>(
    conn: &mut rusqlite::Connection,
    survey: &Survey,
    epsilon: Option<Epsilon>,
    day: &str,
    rng: &mut R,
) -> Result<Published, PublishError> {
    let plan = analysis::prepare(survey, epsilon)?;
    let charge = plan.charge();
    let description = plan.describe();
    let mut report = None;
    let release = db::publish::<PublishError>(
        conn,
        &survey.id,
        db::Charge {
            epsilon: charge.epsilon,
            delta: charge.delta,
        },
        day,
        &description,
        |spent| {
            analysis::budget::check_spend(survey.privacy_budget, spent, charge.epsilon)?;
            Ok(())
        },
        // Inside the write transaction: only what is stored.
        |cx, responses| {
            let meta = analysis::ReleaseMeta {
                release_id: cx.release_id.clone(),
                published: cx.day.clone(),
            };
            let r = analysis::build_report(plan, responses, meta, rng)?;
            let release = db::Release {
                release_id: cx.release_id.clone(),
                json: analysis::render_json(&r),
                html: analysis::render_html(&r, &survey.default_language),
            };
            report = Some(r);
            Ok(release)
        },
    )?;
    let report = report.ok_or_else(|| {
        PublishError::Store(db::StoreError::Corrupt {
            survey: survey.id.clone(),
            message: "the report was not built".into(),
        })
    })?;
    // After the commit, so the write lock is not held for rendering.
    let pages = survey
        .languages
        .iter()
        .map(|lang| {
            let page = if *lang == survey.default_language {
                release.html.clone()
            } else {
                analysis::render_html(&report, lang)
            };
            (lang.clone(), page)
        })
        .collect();
    let csvs = report
        .tables
        .iter()
        .map(|t| (t.id.clone(), analysis::render_csv(&report, t)))
        .collect();
    Ok(Published {
        release,
        report,
        pages,
        csvs,
        description,
    })
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
    let published = publish_release(&mut conn, survey, epsilon, &day, &mut rng)?;

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
