//! Published results, public: every release of a survey and its privacy
//! ledger.
//!
//! | route | what |
//! |---|---|
//! | `GET /results/{survey}` | the releases (newest first) and the public ledger; 404 `no_results` before the first |
//! | `GET /results/{survey}/{release}` | a release's HTML page (`?lang=xx`) |
//! | `GET /results/{survey}/{release}.json` | its JSON report |
//! | `GET /results/{survey}/{release}/{table}.csv` | one table as CSV |
//!
//! Only what `chorus publish` stored is served: noised reports and the
//! ledger (ε, δ, day, description). No count of responses is on any of these
//! routes. Pages are static documents: no scripts, inline styles only.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use surveys::Survey;
use warp::http::{StatusCode, header};
use warp::{Filter, Rejection, Reply};

use analysis::report::{escape, ui_language};
use surveys::path_segment as seg;

use crate::error::ApiError;
use crate::routes::{State, with_state};
use crate::store;

/// The policy for report pages: no scripts at all, their own styles only.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The `/results` routes.
pub fn routes(
    state: Arc<State>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = Rejection> + Clone {
    let st = move || with_state(state.clone());
    let list = warp::path!("results" / String)
        .and(crate::routes::get_or_head())
        .and(warp::query::<HashMap<String, String>>())
        .and(st())
        .and_then(list);
    let one = warp::path!("results" / String / String)
        .and(crate::routes::get_or_head())
        .and(warp::query::<HashMap<String, String>>())
        .and(st())
        .and_then(release);
    let csv = warp::path!("results" / String / String / String)
        .and(crate::routes::get_or_head())
        .and(st())
        .and_then(table_csv);
    list.or(one).unify().or(csv).unify()
}

fn not_found(survey: &str, release: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_results",
        format!("survey `{survey}` has no release `{release}`; see /results/{survey} for the list"),
    )
}

fn survey_of<'a>(state: &'a State, id: &str) -> Result<&'a Survey, Rejection> {
    state
        .surveys
        .get(id)
        .ok_or_else(|| ApiError::unknown_survey(id).reject())
}

fn page(html: String) -> warp::reply::Response {
    let mut res = warp::reply::html(html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        warp::http::HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        warp::http::HeaderValue::from_static(CSP),
    );
    res
}

fn with_type(body: String, mime: &'static str) -> warp::reply::Response {
    let mut res = warp::reply::Response::new(body.into());
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        warp::http::HeaderValue::from_static(mime),
    );
    h.insert(
        header::CACHE_CONTROL,
        warp::http::HeaderValue::from_static("public, max-age=300"),
    );
    res
}

async fn list(
    survey_id: String,
    query: HashMap<String, String>,
    state: Arc<State>,
) -> Result<warp::reply::Response, Rejection> {
    let survey = survey_of(&state, &survey_id)?.clone();
    let id = survey_id.clone();
    let (releases, ledger) = state
        .read(move |conn| Ok((conn.list_releases(&id)?, conn.ledger(&id)?)))
        .await?;
    // Nothing published (so the ledger is empty too): a 404 the frontend's
    // link and API clients both understand.
    if releases.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_results",
            format!("nothing has been published for `{survey_id}` yet"),
        )
        .reject());
    }
    let lang = query
        .get("lang")
        .map(String::as_str)
        .unwrap_or(&survey.default_language);
    let text_lang = survey.language(lang).to_string();
    let ru = ui_language(&survey.languages, &text_lang) == "ru";
    let t = |ru_text: &'static str, en_text: &'static str| if ru { ru_text } else { en_text };
    let title = survey.tr(&survey.title, &text_lang);
    let spent = store::epsilon_spent(&ledger);
    let remaining = spent.and_then(|s| survey.privacy_budget.checked_sub(s));
    let delta = store::delta_spent(&ledger);

    let mut out = String::with_capacity(8 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{} — {}</title>\n\
         <style>body{{margin:0;font-family:system-ui,sans-serif;line-height:1.5}}main{{max-width:46rem;margin:0 auto;padding:1rem}}\
         h1{{font-size:1.5rem;overflow-wrap:anywhere}}table{{border-collapse:collapse;width:100%}}th,td{{padding:.3rem .4rem;border-bottom:1px solid #ccc;text-align:left;vertical-align:top}}\
         td.n{{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}}.scroll{{overflow-x:auto}}@media (prefers-color-scheme:dark){{body{{color:#eee;background:#121212}}a{{color:#8ab4f8}}th,td{{border-color:#444}}}}</style>\n\
         </head>\n<body>\n<main>\n<h1>{}</h1>\n",
        escape(&text_lang),
        escape(title),
        t("Результаты", "Results"),
        escape(title),
    );
    let _ = writeln!(
        out,
        "<h2>{}</h2>",
        t("Опубликованные выпуски", "Published releases")
    );
    // Not empty: refused with 404 above.
    out.push_str("<ul>\n");
    for r in &releases {
        let base = format!("/results/{}/{}", seg(&survey.id), seg(&r.release_id));
        let _ = write!(
            out,
            "<li><a href=\"{base}?lang={l}\">{} {}</a>, <time datetime=\"{d}\">{d}</time> —",
            t("Выпуск", "Release"),
            escape(&r.release_id),
            l = seg(&text_lang),
            d = escape(&r.published_day),
        );
        for l in &survey.languages {
            let _ = write!(
                out,
                " <a href=\"{base}?lang={}\" hreflang=\"{}\" lang=\"{}\">{}</a>",
                seg(l),
                escape(l),
                escape(l),
                escape(l)
            );
        }
        let _ = writeln!(out, " · <a href=\"{base}.json\">JSON</a></li>");
    }
    out.push_str("</ul>\n");
    let _ = write!(
        out,
        "<h2>{}</h2>\n<p>{}</p>\n",
        t("Журнал бюджета приватности", "Privacy budget ledger"),
        escape(&match (spent, remaining) {
            (Some(s), Some(r)) => format!(
                "{} ε = {}; {} {s}; {} {r}.",
                t("Бюджет опроса:", "The survey's budget:"),
                survey.privacy_budget,
                t("израсходовано", "spent"),
                t("осталось", "remaining"),
            ),
            _ => format!(
                "{} ε = {}.",
                t("Бюджет опроса:", "The survey's budget:"),
                survey.privacy_budget
            ),
        })
    );
    let _ = writeln!(
        out,
        "<p>{}</p>",
        t(
            "Каждый выпуск списывает ε с бюджета до того, как что-либо публикуется; выпуск, который превысил бы бюджет, отклоняется. Выпуск с таблицами на гауссовском шуме несёт ещё δ = 10⁻⁶ — вероятность того, что гарантия ε не выполнится; δ выпусков складываются.",
            "Each release is charged its ε before anything is published; a release that would exceed the budget is refused. A release with discrete-Gaussian tables also carries δ = 10⁻⁶, the chance that its ε guarantee fails; the δ of releases add up."
        )
    );
    if delta > 0.0 {
        let _ = writeln!(
            out,
            "<p>{} δ = {}.</p>",
            t("Всего израсходовано", "Spent in all:"),
            escape(&store::delta_text(delta))
        );
    }
    if !ledger.is_empty() {
        let _ = write!(
            out,
            "<div class=\"scroll\"><table>\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">ε</th><th scope=\"col\">δ</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
            t("День", "Day"),
            t("Выпуск", "Release"),
            t("Что", "What"),
        );
        for e in &ledger {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                escape(&e.charged_day),
                escape(&e.release_id),
                escape(&e.epsilon.to_string()),
                escape(&store::delta_text(e.delta)),
                escape(&e.description)
            );
        }
        out.push_str("</tbody>\n</table></div>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    Ok(page(out))
}

async fn release(
    survey_id: String,
    name: String,
    query: HashMap<String, String>,
    state: Arc<State>,
) -> Result<warp::reply::Response, Rejection> {
    let survey = survey_of(&state, &survey_id)?.clone();
    let (release_id, json_wanted) = match name.strip_suffix(".json") {
        Some(r) => (r.to_string(), true),
        None => (name.clone(), false),
    };
    let (id, rid) = (survey_id.clone(), release_id.clone());
    let stored = state.read(move |conn| conn.release(&id, &rid)).await?;
    let Some((json, html)) = stored else {
        return Err(not_found(&survey_id, &release_id).reject());
    };
    if json_wanted {
        return Ok(with_type(json, "application/json"));
    }
    let lang = query
        .get("lang")
        .map(String::as_str)
        .unwrap_or(&survey.default_language);
    // Reports of the current schema are rendered in the language asked for;
    // older ones are served as stored (their default language).
    let html = match serde_json::from_str::<analysis::Report>(&json) {
        Ok(report) if report.schema == analysis::report::SCHEMA => {
            analysis::render_html(&report, lang)
        }
        _ => html,
    };
    Ok(page(html))
}

async fn table_csv(
    survey_id: String,
    release_id: String,
    file: String,
    state: Arc<State>,
) -> Result<warp::reply::Response, Rejection> {
    survey_of(&state, &survey_id)?;
    let Some(table_id) = file.strip_suffix(".csv").map(str::to_string) else {
        return Err(not_found(&survey_id, &release_id).reject());
    };
    let (id, rid) = (survey_id.clone(), release_id.clone());
    let stored = state.read(move |conn| conn.release(&id, &rid)).await?;
    let report = stored
        .and_then(|(json, _)| serde_json::from_str::<analysis::Report>(&json).ok())
        .ok_or_else(|| not_found(&survey_id, &release_id).reject())?;
    let table = report
        .tables
        .iter()
        .find(|t| t.id == table_id)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_results",
                format!("release `{release_id}` has no table `{table_id}`"),
            )
            .reject()
        })?;
    Ok(with_type(
        analysis::render_csv(&report, table),
        "text/csv; charset=utf-8",
    ))
}
