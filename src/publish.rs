//! `chorus publish` and `chorus budget`: releasing a survey's planned tables
//! through noise, and showing what its privacy budget has paid for.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use collector::opening::Opener;
use collector::publish::{Published, publish_release};
use collector::store;
use surveys::{Epsilon, Survey};

use crate::remote;

#[derive(Args, Debug)]
pub struct PublishArgs {
    /// The survey's id (as in its file).
    survey: String,
    /// With a publication plan: optional, and if given it must equal the ε the
    /// release is charged (a confirmation). Without a plan: the ε to spend,
    /// split equally between the choice questions, e.g. 1, 0.5 or 1/3.
    #[arg(long)]
    epsilon: Option<String>,
    #[command(flatten)]
    db: crate::database::DbArgs,
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
    /// A remote collector instead of --db: it charges the release, and the
    /// report built here is uploaded to it.
    #[command(flatten)]
    remote: remote::RemoteArgs,
    /// With --from: charge nothing and build nothing, but upload release
    /// RELEASE as an earlier `chorus publish --from` wrote it into --out
    /// (after the collector had charged it and the upload failed).
    #[arg(long, value_name = "RELEASE")]
    upload: Option<String>,
}

#[derive(Args, Debug)]
pub struct BudgetArgs {
    /// The survey's id (as in its file).
    survey: String,
    #[command(flatten)]
    db: crate::database::DbArgs,
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
    if let Some(release_id) = &args.upload {
        return upload_written(&args, release_id);
    }
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
    if let Some(remote) = args.remote.connect()? {
        return run_remote(&args, survey, epsilon, plan, &remote);
    }
    drop(plan);
    let mut conn = args.db.open_existing()?;
    let day = store::today();
    // ChaCha12 seeded from the operating system: a cryptographically secure generator.
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::try_from_os_rng()
        .map_err(|e| anyhow!("cannot seed the noise generator from the operating system: {e}"))?;
    let served = conn.survey_definitions(&survey.id)?;
    let keys: Vec<seal::SecretKey> = args.keys.unlock()?.into_iter().collect();
    let mut opener = Opener::new(survey, &served, keys);
    let published = publish_release(&mut conn, survey, epsilon, &day, &mut opener, &mut rng)?;
    crate::admin::report_quarantine(&opener);

    let written = write_files(&args.out, survey, &published)?;
    let spent = conn.spent(&survey.id)?;
    let served = format!("/results/{}/{}", survey.id, published.release.release_id);
    summarise(survey, &published, spent, &written, &served);
    Ok(ExitCode::SUCCESS)
}

/// Writes a release's files into `out`; returns their paths.
fn write_files(out: &Path, survey: &Survey, published: &Published) -> Result<Vec<String>> {
    // The folder mirrors the collector's /results/{survey}/ so that the
    // pages' relative links (`{release}.json`, `{release}/{table}.csv`)
    // work when the files are opened from disk or put on any web server.
    let dir = out.join(&survey.id);
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
    Ok(written)
}

/// Prints what was published, the same for a local and a remote publish.
fn summarise(
    survey: &Survey,
    published: &Published,
    spent: Epsilon,
    written: &[String],
    served_at: &str,
) {
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
            format!(" (δ = {})", store::delta_text(published.report.delta))
        } else {
            String::new()
        },
        survey.privacy_budget
    );
    println!("  {}", published.description);
    for w in written {
        println!("  wrote {w}");
    }
    println!("  served at {served_at}");
}

/// `chorus publish --from URL`: the collector charges the release from its
/// own survey file (budget check and ledger entry in one transaction); the
/// stored rows are fetched and opened here, the report is built here with
/// the charge's release id and day, and uploaded. The key is opened before
/// anything is charged, and never sent.
fn run_remote(
    args: &PublishArgs,
    survey: &Survey,
    epsilon: Option<Epsilon>,
    plan: analysis::Plan<'_>,
    remote: &remote::Remote,
) -> Result<ExitCode> {
    let keys: Vec<seal::SecretKey> = args.keys.unlock()?.into_iter().collect();
    let info = remote.survey(&survey.id)?;
    let served = remote.versions(&survey.id)?;
    remote::same_as_served(survey, &info, &served)?;
    if keys.is_empty() && (info.sealed || served.iter().any(Survey::is_sealed)) {
        bail!(
            "the answers to `{}` are sealed; open them with the researchers' private key (--key FILE). \
             Nothing was charged",
            survey.id
        );
    }
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::try_from_os_rng()
        .map_err(|e| anyhow!("cannot seed the noise generator from the operating system: {e}"))?;
    let mut opener = Opener::new(survey, &served, keys);
    let local = plan.charge();

    let charged = remote.charge(&survey.id, epsilon)?;
    let release_id = charged.release_id.clone();
    let uncharged = |what: String| {
        anyhow!(
            "{what}. Release {release_id} of `{}` is charged on the collector (ε = {}), \
             but nothing was uploaded",
            survey.id,
            charged.epsilon
        )
    };
    if charged.epsilon != local.epsilon || charged.delta != local.delta {
        return Err(uncharged(format!(
            "the collector charged ε = {}, δ = {} but the plan here costs ε = {}, δ = {}",
            charged.epsilon,
            store::delta_text(charged.delta),
            local.epsilon,
            store::delta_text(local.delta)
        )));
    }
    let rows = remote
        .rows(&survey.id)
        .map_err(|e| uncharged(format!("{e:#}")))?;
    let mut opened = remote::Opened::new(rows, &mut opener);
    let built = collector::publish::build_release(
        survey,
        plan,
        &charged.release_id,
        &charged.day,
        (&mut opened).map(|(_, answers)| answers),
        &mut rng,
    );
    let read = opened.finish();
    let (release, report) = match (built, read) {
        (Ok(b), Ok(())) => b,
        (_, Err(e)) => return Err(uncharged(format!("{e:#}"))),
        (Err(e), Ok(())) => return Err(uncharged(e.to_string())),
    };
    crate::admin::report_quarantine(&opener);
    let published =
        collector::publish::render_release(survey, release, report, charged.description.clone());
    // Written before the upload: the budget has paid for this release, so
    // it is kept even if the collector cannot take it now.
    let written =
        write_files(&args.out, survey, &published).map_err(|e| uncharged(format!("{e:#}")))?;
    remote
        .upload(
            &survey.id,
            &published.release.release_id,
            &published.release.json,
            &published.release.html,
        )
        .map_err(|e| {
            anyhow!(
                "{e:#}. Release {release_id} of `{}` is charged on the collector (ε = {}) and \
                 written to {}, but the collector does not serve it; once it can be reached, \
                 upload it with `chorus publish {} --from {} --out {} --upload {release_id}` \
                 (nothing is charged again)",
                survey.id,
                charged.epsilon,
                args.out.display(),
                survey.id,
                remote.base(),
                args.out.display()
            )
        })?;
    let served_at = results_url(remote, &survey.id, &published.release.release_id);
    summarise(survey, &published, charged.spent, &written, &served_at);
    Ok(ExitCode::SUCCESS)
}

/// `chorus publish --from URL --upload RELEASE`: uploads a release that an
/// earlier remote publish charged and wrote into `--out` but could not
/// upload. Nothing is charged or opened; the collector checks that the
/// report is the one its charge was for, and takes it once.
fn upload_written(args: &PublishArgs, release_id: &str) -> Result<ExitCode> {
    if args.epsilon.is_some() {
        bail!("--upload charges nothing, so --epsilon does not apply; nothing was sent");
    }
    let surveys = collector::load_surveys(&args.surveys)?;
    let survey = find_survey(&surveys, &args.survey, &args.surveys)?;
    // A release id names files under --out: no way out of that folder.
    let id_chars = release_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !id_chars || release_id.starts_with('.') || release_id.contains("..") {
        bail!(
            "--upload takes a release id as `chorus publish` printed it (such as 2026-12-02.1), not `{release_id}`"
        );
    }
    let Some(remote) = args.remote.connect()? else {
        bail!(
            "--upload sends a release to a remote collector: give --from URL (and its researcher token)"
        );
    };
    let dir = args.out.join(&survey.id);
    let read = |name: String| -> Result<String> {
        let path = dir.join(name);
        std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {} (written by the `chorus publish --from` that charged release {release_id}, \
                 with the same --out); nothing was sent",
                path.display()
            )
        })
    };
    let json = read(format!("{release_id}.json"))?;
    let html = read(format!("{release_id}.{}.html", survey.default_language))?;
    remote.upload(&survey.id, release_id, &json, &html)?;
    println!(
        "uploaded {} release {release_id}; served at {}",
        survey.id,
        results_url(&remote, &survey.id, release_id)
    );
    Ok(ExitCode::SUCCESS)
}

/// Where the remote collector serves a release.
fn results_url(remote: &remote::Remote, survey_id: &str, release_id: &str) -> String {
    format!(
        "{}/results/{}/{}",
        remote.base(),
        surveys::path_segment(survey_id),
        surveys::path_segment(release_id)
    )
}

/// `chorus budget`: the ledger of a survey and what remains.
pub fn budget(args: BudgetArgs) -> Result<ExitCode> {
    let surveys = collector::load_surveys(&args.surveys)?;
    let survey = find_survey(&surveys, &args.survey, &args.surveys)?;
    let ledger = args.db.open_read_only()?.ledger(&survey.id)?;
    let spent = store::epsilon_spent(&ledger)
        .ok_or_else(|| anyhow!("the ledger of `{}` adds up past what ε can hold", survey.id))?;
    let remaining = survey
        .privacy_budget
        .checked_sub(spent)
        .unwrap_or(Epsilon::ZERO);
    let delta = store::delta_spent(&ledger);
    println!(
        "{}: privacy budget ε = {}, spent {spent}, {remaining} remains{}",
        survey.id,
        survey.privacy_budget,
        if delta > 0.0 {
            format!("; δ spent {}", store::delta_text(delta))
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
            store::delta_text(e.delta),
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
