//! The collector's HTTP API, same origin. Requests carry no cookies: they
//! are sent with `credentials: omit`, except the survey's definition (see
//! [`get_survey`]), and the collector never sets a cookie.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Deserialize;
use surveys::{Survey, path_segment};
use web_sys::RequestCredentials;

use crate::state::{Body, SendOutcome, SurveySummary};

/// A request that got no usable answer. Why does not matter to the
/// respondent: the message and the remedy (try again) are the same.
#[derive(Debug)]
pub struct Unavailable;

fn get(url: &str) -> RequestBuilder {
    Request::get(url).credentials(RequestCredentials::Omit)
}

async fn fetch_json<T: for<'de> Deserialize<'de>>(
    request: RequestBuilder,
) -> Result<T, Unavailable> {
    let resp = request.send().await.map_err(|_| Unavailable)?;
    if !resp.ok() {
        return Err(Unavailable);
    }
    resp.json().await.map_err(|_| Unavailable)
}

/// `GET /api/surveys`
pub async fn list_surveys() -> Result<Vec<SurveySummary>, Unavailable> {
    fetch_json(get("/api/surveys")).await
}

/// `GET /api/surveys/{id}`. The server's form page preloads it with
/// `crossorigin="anonymous"` so that it arrives with the wasm, not after
/// it; the browser hands that response over only to a request in the same
/// credentials mode, `same-origin` (the default), so this request does
/// not ask for `omit`. On the collector's own origin the two differ only
/// by cookies, and it sets none.
pub async fn get_survey(id: &str) -> Result<Survey, Unavailable> {
    fetch_json(Request::get(&format!("/api/surveys/{}", path_segment(id)))).await
}

/// `GET /api/ui/{lang}`: the runner's own words in `lang`, installed for
/// [`surveys::i18n::ui`] (the wasm carries only English).
pub async fn load_words(lang: &str) -> Result<&'static str, Unavailable> {
    let words: Vec<String> = fetch_json(get(&format!("/api/ui/{}", path_segment(lang)))).await?;
    surveys::i18n::install(lang, words).map_err(|_| Unavailable)
}

/// Where a survey's published results are.
pub fn results_url(id: &str) -> String {
    format!("/results/{}", path_segment(id))
}

#[derive(Deserialize)]
struct Accepted {
    status: String,
}

#[derive(Deserialize)]
struct Refusal {
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Vec<RefusalDetail>,
}

#[derive(Deserialize)]
struct RefusalDetail {
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    message: String,
}

/// `POST /api/surveys/{id}/responses`: the answers, or for a sealed
/// survey their envelope. The replies are the same for both.
pub async fn submit(survey_id: &str, body: &Body) -> SendOutcome {
    let url = format!("/api/surveys/{}/responses", path_segment(survey_id));
    let request = match Request::post(&url)
        .credentials(RequestCredentials::Omit)
        .json(body)
    {
        Ok(r) => r,
        Err(_) => return SendOutcome::NetworkError,
    };
    match request.send().await {
        Ok(resp) => read_outcome(resp).await,
        Err(_) => SendOutcome::NetworkError,
    }
}

async fn read_outcome(resp: Response) -> SendOutcome {
    match resp.status() {
        // Only the collector's own acknowledgement counts: a captive portal
        // or proxy can answer 200 too, and then the answers were not stored.
        200 | 201 => match resp.json::<Accepted>().await {
            Ok(a) if a.status == "stored" || a.status == "duplicate" => SendOutcome::Stored,
            _ => SendOutcome::NetworkError,
        },
        // Too many submissions from this network for now (429), or a timeout
        // on the way (408): nothing was stored and the same submission can be
        // sent again, so keep the answers and let the member retry.
        408 | 429 => SendOutcome::NetworkError,
        400..=499 => match resp.json::<Refusal>().await {
            Ok(r) => SendOutcome::Refused {
                message: r.message,
                details: r
                    .details
                    .into_iter()
                    .map(|d| (d.question, d.message))
                    .collect(),
            },
            // Not the collector's JSON: some proxy on the way.
            Err(_) => SendOutcome::NetworkError,
        },
        // Server trouble: nothing was stored, sending again is safe.
        _ => SendOutcome::NetworkError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_links_encode_the_survey_id() {
        assert_eq!(results_url("ост"), "/results/%D0%BE%D1%81%D1%82");
    }
}
