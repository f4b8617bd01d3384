//! `chorus import FORM.xlsx|FORM.xls|FORM.ods [-o FILE]`: converts an XLSForm into a Chorus
//! survey file. The TOML goes to stdout (or FILE); the conversion notes go to
//! stderr, row by row.
//!
//! Exit status: 0 when the survey was converted (possibly with warnings);
//! 1 when the form is refused (it asks for something that tracks a
//! respondent), cannot be converted, or converts into a survey that
//! `chorus check` would not accept.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use xlsform::{Severity, TRACKING_EXPLANATION};

pub fn run(form: &Path, output: Option<&Path>, force: bool) -> Result<ExitCode> {
    if let Some(out) = output
        && out.exists()
        && !force
    {
        bail!(
            "{} already exists; pass --force to replace it (raise `version` if it has received answers)",
            out.display()
        );
    }
    let conversion =
        xlsform::convert_file(form).with_context(|| format!("cannot read {}", form.display()))?;
    let form_name = form.display();

    for note in &conversion.notes {
        eprintln!("{form_name}: {note}");
    }
    if conversion.refused() {
        let n = conversion.notes_of(Severity::Refused).count();
        eprintln!(
            "\n{form_name}: refused: {n} row{} would track respondents. {TRACKING_EXPLANATION}",
            if n == 1 { "" } else { "s" }
        );
        if conversion.has_errors() {
            eprintln!("{form_name}: the errors above must be fixed too.");
        }
        return Ok(ExitCode::FAILURE);
    }
    let Some(toml) = conversion.toml.as_deref() else {
        let n = conversion.notes_of(Severity::Error).count();
        eprintln!(
            "\n{form_name}: not converted: {n} error{}; fix the rows above and import again",
            if n == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::FAILURE);
    };

    // The converted file must pass the same check as every survey file.
    let checked = surveys::parse_survey(toml);

    match output {
        Some(out) => {
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            std::fs::write(out, toml).with_context(|| format!("cannot write {}", out.display()))?;
        }
        None => print!("{toml}"),
    }
    let target = output
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "stdout".into());
    let warnings = conversion.notes_of(Severity::Warning).count();
    match checked {
        Ok(survey) => {
            eprintln!(
                "{form_name}: converted to {target}: {} v{} ({} questions), {warnings} warning{}",
                survey.id,
                survey.version,
                survey.questions.len(),
                if warnings == 1 { "" } else { "s" }
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!(
                "{form_name}: converted to {target} ({} questions), but `chorus check` finds {} problem{}:",
                conversion.questions,
                e.problems.len(),
                if e.problems.len() == 1 { "" } else { "s" }
            );
            for p in &e.problems {
                eprintln!("  {p}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}
