//! Answers sealed to a survey's key, and opened again on the researcher's
//! computer: the payload inside an envelope and the submission that carries
//! one. The cryptography and byte layouts are the `seal` crate's; what is
//! sealed is decided here, once, for every place that seals — the browser
//! runner, and the collector sealing on arrival for members without scripts.
//!
//! The payload is JSON, `{"survey_id", "version", "submission_id",
//! "answers"}`, padded to a bucket by `seal`. The same three facts are
//! bound as associated data, so an envelope opens only where it belongs;
//! the copy inside lets a tool that holds a lone envelope say what it is.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::answers::Answers;
use crate::model::Survey;

/// What a member's device sends for a sealed survey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedSubmission {
    pub submission_id: String,
    /// The survey version the answers were given to (always sent: the
    /// envelope is bound to it).
    pub version: u32,
    /// The envelope's bytes, base64url without padding.
    pub envelope: String,
}

/// What an envelope holds once opened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    pub survey_id: String,
    pub version: u32,
    pub submission_id: String,
    /// As the member's device sent them; validated after opening.
    pub answers: Map<String, Value>,
}

/// Why answers could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealingError {
    #[error("survey `{0}` lists no public key: its answers are not sealed")]
    NotSealed(String),
    #[error("survey `{survey}`: its first public key cannot be read: {problem}")]
    BadKey { survey: String, problem: String },
    #[error("the submission id `{0}` is not a UUID")]
    SubmissionId(String),
    #[error(transparent)]
    Seal(#[from] seal::SealError),
}

/// Why an envelope did not give answers (a quarantine reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenProblem {
    #[error("the submission id `{0}` is not a UUID")]
    SubmissionId(String),
    #[error("{0}")]
    Envelope(#[from] seal::OpenError),
    #[error("the opened envelope is not Chorus answers: {0}")]
    Payload(String),
    #[error(
        "the opened envelope says survey `{survey}` version {version} submission {submission_id}, not where it is stored"
    )]
    Mislabelled {
        survey: String,
        version: u32,
        submission_id: String,
    },
}

/// The key answers to `survey` are sealed to: the first it lists.
pub fn sealing_key(survey: &Survey) -> Result<seal::PublicKey, SealingError> {
    let text = survey
        .public_keys
        .first()
        .ok_or_else(|| SealingError::NotSealed(survey.id.clone()))?;
    seal::PublicKey::parse(text).map_err(|e| SealingError::BadKey {
        survey: survey.id.clone(),
        problem: e.to_string(),
    })
}

/// The key ids of every key `survey` lists: envelopes under any of them
/// are accepted.
pub fn key_ids(survey: &Survey) -> Vec<seal::KeyId> {
    survey
        .public_keys
        .iter()
        .filter_map(|k| seal::PublicKey::parse(k).ok())
        .map(|k| k.id())
        .collect()
}

/// Seals `answers` (as the device would send them, already validated by
/// the engine) to `survey`'s key for `submission_id`.
pub fn seal_answers(
    survey: &Survey,
    key: &seal::PublicKey,
    submission_id: &str,
    answers: &Map<String, Value>,
) -> Result<SealedSubmission, SealingError> {
    let id_bytes = seal::uuid_bytes(submission_id)
        .ok_or_else(|| SealingError::SubmissionId(submission_id.to_string()))?;
    let payload = serde_json::json!({
        "survey_id": survey.id,
        "version": survey.version,
        "submission_id": submission_id,
        "answers": answers,
    });
    // Serialising a JSON value cannot fail.
    let plaintext = payload.to_string();
    let binding = seal::Binding {
        survey_id: &survey.id,
        version: survey.version,
        submission_id: id_bytes,
    };
    let envelope = seal::seal(key, &binding, plaintext.as_bytes())?;
    Ok(SealedSubmission {
        submission_id: submission_id.to_string(),
        version: survey.version,
        envelope: seal::encode(&envelope),
    })
}

/// Opens an envelope stored for `survey_id`, `version` and `submission_id`
/// and checks that its payload says the same. The answers still need
/// validating against that version (the collector could not).
pub fn open_answers(
    key: &seal::SecretKey,
    survey_id: &str,
    version: u32,
    submission_id: &str,
    envelope: &[u8],
) -> Result<Map<String, Value>, OpenProblem> {
    let id_bytes = seal::uuid_bytes(submission_id)
        .ok_or_else(|| OpenProblem::SubmissionId(submission_id.to_string()))?;
    let binding = seal::Binding {
        survey_id,
        version,
        submission_id: id_bytes,
    };
    let plaintext = key.open(&binding, envelope)?;
    let payload: Payload =
        serde_json::from_slice(&plaintext).map_err(|e| OpenProblem::Payload(e.to_string()))?;
    if payload.survey_id != survey_id
        || payload.version != version
        || seal::uuid_bytes(&payload.submission_id) != Some(id_bytes)
    {
        return Err(OpenProblem::Mislabelled {
            survey: payload.survey_id,
            version: payload.version,
            submission_id: payload.submission_id,
        });
    }
    Ok(payload.answers)
}

/// The answers of a [`crate::ValidResponse`] as a JSON object, the shape
/// [`seal_answers`] takes (for sealing on arrival).
pub fn answers_object(answers: &Answers) -> Map<String, Value> {
    match serde_json::to_value(answers) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SURVEY: &str = r#"
id = "s"
version = 2
languages = ["en"]
title = { en = "S" }
privacy_budget = 1
[[questions]]
id = "q"
type = "short_text"
label = { en = "Q" }
"#;

    fn survey_with(key: &seal::PublicKey) -> Survey {
        let text = format!("public_keys = [\"{key}\"]\n{SURVEY}");
        crate::parse_survey(&text).expect("survey")
    }

    const ID: &str = "7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10";

    #[test]
    fn sealed_answers_open_for_the_same_survey_version_and_id_only() {
        let sk = seal::SecretKey::generate();
        let survey = survey_with(sk.public());
        let key = sealing_key(&survey).expect("key");
        let mut answers = Map::new();
        answers.insert("q".into(), Value::String("canary-7731".into()));
        let sealed = seal_answers(&survey, &key, ID, &answers).expect("seal");
        assert_eq!(sealed.version, 2);
        let bytes = seal::decode(&sealed.envelope).expect("base64url");
        assert!(!String::from_utf8_lossy(&bytes).contains("canary-7731"));
        assert_eq!(
            open_answers(&sk, "s", 2, ID, &bytes).expect("open"),
            answers
        );
        assert!(matches!(
            open_answers(&sk, "s", 1, ID, &bytes),
            Err(OpenProblem::Envelope(seal::OpenError::Decrypt))
        ));
        assert!(matches!(
            open_answers(&sk, "s", 2, "not-an-id", &bytes),
            Err(OpenProblem::SubmissionId(_))
        ));
    }

    #[test]
    fn a_survey_without_keys_cannot_seal() {
        let survey = crate::parse_survey(SURVEY).expect("survey");
        assert!(!survey.is_sealed());
        assert!(matches!(
            sealing_key(&survey),
            Err(SealingError::NotSealed(_))
        ));
    }

    #[test]
    fn the_loader_checks_every_public_key() {
        let key = seal::SecretKey::generate().public().to_string();
        let bad = format!("public_keys = [\"{key}\", \"{key}\", \"chorus-pk1:AAAA\", 7]\n{SURVEY}");
        let problems = crate::parse_survey(&bad).expect_err("refused").problems;
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("entry 2 repeats key"), "{messages:?}");
        assert!(
            messages[1].contains("entry 3") && messages[1].contains("bytes"),
            "{messages:?}"
        );
        assert!(
            messages[2].contains("entry 4 must be a string"),
            "{messages:?}"
        );
        let empty = format!("public_keys = []\n{SURVEY}");
        assert!(crate::parse_survey(&empty).is_err());
    }
}
