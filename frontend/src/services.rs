//! The collector's HTTP API, same origin. Requests carry no cookies: they
//! are sent with `credentials: omit`, except the survey's definition (see
//! [`get_survey`]), and the collector never sets a cookie.

use gloo_net::http::{Request, RequestBuilder, Response};
use runner::outbox::{self, Verdict};
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

/// `POST /api/surveys/{id}/responses`: the answers as JSON, or for a
/// sealed survey the envelope's own bytes (`application/vnd.chorus.envelope`,
/// what it is bound to in headers: a quarter smaller than base64 in JSON).
/// The replies are the same for both.
pub async fn submit(survey_id: &str, body: &Body) -> SendOutcome {
    let url = format!("/api/surveys/{}/responses", path_segment(survey_id));
    let builder = Request::post(&url).credentials(RequestCredentials::Omit);
    let request = match body {
        Body::Sealed(s) => match seal::decode(&s.envelope) {
            Some(bytes) => builder
                .header("Content-Type", outbox::ENVELOPE_MEDIA_TYPE)
                .header(outbox::SUBMISSION_ID_HEADER, &s.submission_id)
                .header(outbox::VERSION_HEADER, &s.version.to_string())
                .body(js_sys::Uint8Array::from(&bytes[..])),
            // Not reached (the runner encoded it); the JSON form says the same.
            None => builder.json(body),
        },
        Body::Plain(_) => builder.json(body),
    };
    let Ok(request) = request else {
        return SendOutcome::NetworkError;
    };
    match request.send().await {
        Ok(resp) => read_outcome(resp).await,
        Err(_) => SendOutcome::NetworkError,
    }
}

/// The reply, read by the outbox's rules (`runner::outbox::Verdict`): only
/// the collector's own acknowledgement counts as stored, a refusal needs
/// the collector's message, and anything else may be sent again.
async fn read_outcome(resp: Response) -> SendOutcome {
    let status = resp.status();
    let Ok(body) = resp.binary().await else {
        return SendOutcome::NetworkError;
    };
    match Verdict::from_response(status, &body) {
        Verdict::Stored => SendOutcome::Stored,
        Verdict::Retry => SendOutcome::NetworkError,
        Verdict::Refused { message, details } => SendOutcome::Refused { message, details },
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
