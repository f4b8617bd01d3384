//! `chorus token`, `chorus survey` and `chorus export`: the researcher's
//! side of the collector, from the command line.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use collector::admin::Role;
use collector::export::{self, CodebookFormat, Format};
use collector::opening::Opener;
use collector::store;

use crate::database::DbArgs;
use crate::remote;

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Make a new token and print it once; only its hash is stored.
    Create {
        /// `researcher` (export, open/close) or `viewer` (counts only).
        #[arg(long, value_parser = ["researcher", "viewer"])]
        role: String,
        /// Who or what the token is for, to recognise it in `token list`.
        #[arg(long, default_value = "")]
        label: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List tokens (never their text: it is not stored).
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a token by its id (from `token list`); it stops working at once.
    Revoke {
        id: i64,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum SurveyCommand {
    /// Stop accepting answers to a survey.
    Close(LifecycleArgs),
    /// Accept answers to a survey again.
    Open(LifecycleArgs),
}

#[derive(Args, Debug)]
pub struct LifecycleArgs {
    /// The survey's id (as in its file).
    survey: String,
    #[command(flatten)]
    db: DbArgs,
    /// Folder of survey files.
    #[arg(long, default_value = "surveys/library")]
    surveys: PathBuf,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The survey's id (as in its file).
    survey: String,
    /// `csv` (RFC 4180) or `json` (JSON Lines, one response per line).
    #[arg(long, default_value = "csv", value_parser = ["csv", "json"])]
    format: String,
    /// Language of labels (in cells with --labels, and in the codebook).
    #[arg(long)]
    lang: Option<String>,
    /// Write option labels instead of option codes.
    #[arg(long)]
    labels: bool,
    /// Start CSV files with a UTF-8 byte-order mark, for Excel.
    #[arg(long)]
    bom: bool,
    #[command(flatten)]
    db: DbArgs,
    /// Folder of survey files.
    #[arg(long, default_value = "surveys/library")]
    surveys: PathBuf,
    /// File to write the export to.
    #[arg(long)]
    out: PathBuf,
    /// Also write the codebook (column, question text, type, codes) here.
    #[arg(long)]
    codebook: Option<PathBuf>,
    /// `csv` or `md`; by default from the codebook file's extension.
    #[arg(long, value_parser = ["csv", "md"])]
    codebook_format: Option<String>,
    /// The researchers' private key, for a survey whose answers are sealed.
    #[command(flatten)]
    keys: crate::keys::KeyArgs,
    /// A remote collector instead of --db.
    #[command(flatten)]
    remote: remote::RemoteArgs,
}

/// Says on stderr how many responses were left out and why, one line each.
pub fn report_quarantine(opener: &Opener) {
    let q = opener.quarantined();
    if q.is_empty() {
        return;
    }
    eprintln!(
        "quarantined {} response{} (left out; the reasons follow):",
        q.len(),
        if q.len() == 1 { "" } else { "s" }
    );
    for item in q {
        eprintln!("  {}: {}", item.submission_id, item.reason);
    }
}

pub fn token(cmd: TokenCommand) -> Result<ExitCode> {
    match cmd {
        TokenCommand::Create { role, label, db } => {
            let role = Role::parse(&role).ok_or_else(|| anyhow!("--role: researcher or viewer"))?;
            let mut conn = db.open()?;
            let new =
                collector::admin::create_token(&mut conn, role, label.trim(), &store::today())?;
            eprintln!(
                "created {role} token {} in {}. It is shown only now; keep it secret.\n\
                 Use it as `Authorization: Bearer <token>` on /api/admin/…",
                new.id, db.db
            );
            println!("{}", new.token);
        }
        TokenCommand::List { db } => {
            let tokens = db.open_existing()?.list_tokens()?;
            if tokens.is_empty() {
                println!("no tokens; make one with `chorus token create --role researcher`");
            }
            for t in tokens {
                let state = match &t.revoked_day {
                    Some(d) => format!("revoked {d}"),
                    None => "active".to_string(),
                };
                println!(
                    "{:>4}  {:<10}  created {}  {:<16}  {}",
                    t.id, t.role, t.created_day, state, t.label
                );
            }
        }
        TokenCommand::Revoke { id, db } => {
            if !db.open_existing()?.revoke_token(id, &store::today())? {
                bail!("no token {id} in {}; see `chorus token list`", db.db);
            }
            println!("token {id} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn survey(cmd: SurveyCommand) -> Result<ExitCode> {
    let (args, close) = match cmd {
        SurveyCommand::Close(a) => (a, true),
        SurveyCommand::Open(a) => (a, false),
    };
    let surveys = collector::load_surveys(&args.surveys)?;
    let survey = crate::publish::find_survey(&surveys, &args.survey, &args.surveys)?;
    let today = store::today();
    args.db
        .open_existing()?
        .set_closed(&survey.id, close, &today)?;
    if close {
        println!(
            "{} is closed from {today}; new answers are refused",
            survey.id
        );
    } else {
        match survey.closes.as_deref() {
            Some(c) if today.as_str() > c => println!(
                "{} is no longer closed by command, but its file closes it on {c}; \
                 change `closes` in the file to accept answers",
                survey.id
            ),
            _ => println!("{} is open; answers are accepted", survey.id),
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export(args: ExportArgs) -> Result<ExitCode> {
    let surveys = collector::load_surveys(&args.surveys)?;
    let survey = crate::publish::find_survey(&surveys, &args.survey, &args.surveys)?;
    let lang = args
        .lang
        .clone()
        .unwrap_or_else(|| survey.default_language.clone());
    if !survey.languages.contains(&lang) {
        bail!(
            "--lang: survey `{}` is not written in `{lang}`; it has {}",
            survey.id,
            survey.languages.join(", ")
        );
    }
    let format = Format::parse(&args.format).ok_or_else(|| anyhow!("--format: csv or json"))?;
    if let Some(remote) = args.remote.connect()? {
        let repeats = repeat_files(&args, survey, format)?;
        return export_remote(&args, survey, &lang, format, &remote, &repeats);
    }
    let repeats = repeat_files(&args, survey, format)?;
    let mut conn = args.db.open_read_only()?;
    let options = export::Options {
        format,
        lang: lang.clone(),
        labels: args.labels,
        bom: args.bom,
    };
    let mut files = Files::create(&args.out, &repeats)?;
    let served = conn.survey_definitions(&survey.id)?;
    let keys: Vec<seal::SecretKey> = args.keys.unlock()?.into_iter().collect();
    let mut opener = Opener::new(survey, &served, keys);
    let (out, mut repeat_outs) = files.writers();
    let written = export::write_export(
        &mut conn,
        survey,
        &options,
        &mut opener,
        out,
        &mut repeat_outs,
    )
    .with_context(|| format!("exporting to {}", args.out.display()))?;
    files.finish()?;
    report_written(&written, survey, None, &args.out, &repeats);
    report_quarantine(&opener);
    write_codebook_file(&args, survey, &lang)?;
    Ok(ExitCode::SUCCESS)
}

/// The files a CSV export writes beside `--out`, one per repeat of the
/// survey: `(repeat id, path)`. Refuses, before anything is written, an
/// `--out` that is not a file's path (such as /dev/stdout: the repeats'
/// files would go beside it) and two outputs with one path.
fn repeat_files(
    args: &ExportArgs,
    survey: &surveys::Survey,
    format: Format,
) -> Result<Vec<(String, PathBuf)>> {
    if let Some(book) = &args.codebook
        && *book == args.out
    {
        bail!(
            "--codebook and --out are both {}; give them different files",
            book.display()
        );
    }
    if format != Format::Csv {
        return Ok(Vec::new());
    }
    let files: Vec<(String, PathBuf)> = export::repeats(survey)
        .iter()
        .map(|r| (r.id.clone(), export::repeat_path(&args.out, &r.id)))
        .collect();
    if files.is_empty() {
        return Ok(files);
    }
    let names = || {
        files
            .iter()
            .map(|(_, p)| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Ok(meta) = std::fs::metadata(&args.out)
        && !meta.is_file()
    {
        bail!(
            "--out {} is not a file; a CSV export of `{}` writes one file per response and one \
             per repeat beside it ({}): give --out a file's path, or use --format json, whose \
             lines hold each response's instances",
            args.out.display(),
            survey.id,
            names()
        );
    }
    if let Some(book) = &args.codebook
        && let Some((id, _)) = files.iter().find(|(_, p)| p == book)
    {
        bail!(
            "--codebook {} is where the export writes the instances of repeat `{id}`; \
             give the codebook another file",
            book.display()
        );
    }
    Ok(files)
}

/// The files of an export being written: the main one and each repeat's.
struct Files {
    main: (PathBuf, BufWriter<std::fs::File>),
    repeats: Vec<(PathBuf, BufWriter<std::fs::File>)>,
}

impl Files {
    /// Creates (or empties) every file; when one cannot be, the ones made
    /// before it are removed again.
    fn create(out: &std::path::Path, repeats: &[(String, PathBuf)]) -> Result<Files> {
        let open = |path: &std::path::Path| {
            std::fs::File::create(path)
                .map(|f| (path.to_path_buf(), BufWriter::with_capacity(256 * 1024, f)))
                .with_context(|| format!("cannot create {}", path.display()))
        };
        let main = open(out)?;
        let mut files = Files {
            main,
            repeats: Vec::new(),
        };
        for (_, path) in repeats {
            match open(path) {
                Ok(f) => files.repeats.push(f),
                Err(e) => {
                    files.remove();
                    return Err(e);
                }
            }
        }
        Ok(files)
    }

    /// The main file's writer and the repeats', in the survey's order.
    fn writers(&mut self) -> (&mut BufWriter<std::fs::File>, Vec<&mut dyn Write>) {
        (
            &mut self.main.1,
            self.repeats
                .iter_mut()
                .map(|(_, w)| w as &mut dyn Write)
                .collect(),
        )
    }

    /// Flushes every file and waits until it is on disk.
    fn finish(self) -> Result<()> {
        for (path, out) in std::iter::once(self.main).chain(self.repeats) {
            out.into_inner()
                .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error()))?
                .sync_all()
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    }

    /// Removes every file (a partial export must not pass for a whole one).
    fn remove(self) {
        for (path, out) in std::iter::once(self.main).chain(self.repeats) {
            drop(out);
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Says what was written where: responses, and each repeat's instances.
fn report_written(
    written: &export::Exported,
    survey: &surveys::Survey,
    from: Option<&str>,
    out: &std::path::Path,
    repeats: &[(String, PathBuf)],
) {
    let n = written.responses;
    println!(
        "exported {n} response{} of {}{} to {}",
        if n == 1 { "" } else { "s" },
        survey.id,
        from.map_or_else(String::new, |f| format!(" from {f}")),
        out.display()
    );
    for ((id, path), n) in repeats.iter().zip(&written.instances) {
        println!(
            "exported {n} instance{} of repeat `{id}` to {}",
            if *n == 1 { "" } else { "s" },
            path.display()
        );
    }
}

/// `--codebook FILE`, when given.
fn write_codebook_file(args: &ExportArgs, survey: &surveys::Survey, lang: &str) -> Result<()> {
    if let Some(path) = &args.codebook {
        let format = match args.codebook_format.as_deref() {
            Some(f) => CodebookFormat::parse(f),
            None => match path.extension().and_then(|e| e.to_str()) {
                Some("md" | "markdown") => Some(CodebookFormat::Markdown),
                _ => Some(CodebookFormat::Csv),
            },
        }
        .ok_or_else(|| anyhow!("--codebook-format: csv or md"))?;
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut out = BufWriter::new(file);
        export::write_codebook(survey, lang, format, args.bom, &mut out)
            .and_then(|()| out.flush())
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote the codebook to {}", path.display());
    }
    Ok(())
}

/// `chorus export --from URL`: the stored rows fetched from the collector
/// as they are stored, opened and validated here, written as they arrive.
fn export_remote(
    args: &ExportArgs,
    survey: &surveys::Survey,
    lang: &str,
    format: Format,
    remote: &remote::Remote,
    repeats: &[(String, PathBuf)],
) -> Result<ExitCode> {
    // The key is opened before anything is fetched or written.
    let keys: Vec<seal::SecretKey> = args.keys.unlock()?.into_iter().collect();
    let served = remote.versions(&survey.id)?;
    if let Some(s) = served.iter().find(|s| s.version == survey.version)
        && s != survey
    {
        bail!(
            "the survey file here differs from version {} of `{}` as the collector at {} serves it; \
             export with the survey file the collector serves",
            survey.version,
            survey.id,
            remote.base()
        );
    }
    if keys.is_empty()
        && served
            .iter()
            .chain([survey])
            .any(surveys::Survey::is_sealed)
    {
        bail!(
            "the answers to `{}` are sealed; open them with the researchers' private key (--key FILE)",
            survey.id
        );
    }
    let mut opener = Opener::new(survey, &served, keys);
    let rows = remote.rows(&survey.id)?;
    let options = export::Options {
        format,
        lang: lang.to_string(),
        labels: args.labels,
        bom: args.bom,
    };
    let mut files = Files::create(&args.out, repeats)?;
    let (out, mut repeat_outs) = files.writers();
    let mut failure = None;
    let written = export::write_rows(survey, &options, out, &mut repeat_outs, |emit| {
        let mut opened = remote::Opened::new(rows, &mut opener);
        let mut n = 0;
        for (row, answers) in &mut opened {
            emit(&row.as_stored(), &answers)?;
            n += 1;
        }
        if let Err(e) = opened.finish() {
            failure = Some(e);
        }
        Ok(n)
    })
    .with_context(|| format!("exporting to {}", args.out.display()));
    drop(repeat_outs);
    let written = match (written, failure) {
        (Ok(n), None) => n,
        (Err(e), _) | (Ok(_), Some(e)) => {
            // A partial export must not pass for a whole one.
            files.remove();
            let also = if repeats.is_empty() {
                String::new()
            } else {
                format!(
                    " (and {})",
                    repeats
                        .iter()
                        .map(|(_, p)| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(e.context(format!(
                "nothing was exported; {}{also} {} removed",
                args.out.display(),
                if repeats.is_empty() { "is" } else { "are" }
            )));
        }
    };
    files.finish()?;
    report_written(&written, survey, Some(remote.base()), &args.out, repeats);
    report_quarantine(&opener);
    write_codebook_file(args, survey, lang)?;
    Ok(ExitCode::SUCCESS)
}
