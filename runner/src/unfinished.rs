//! An unfinished answer kept on the member's phone, for a survey whose file
//! allows it (`drafts = true`), locked with the member's own passphrase
//! ([`seal::draft`]): nothing of it is readable without that passphrase,
//! and nothing is kept unless the member chooses one.
//!
//! Inside the lock: the survey, its version, the submission id, the page,
//! and the answers as the form fields that carry them ([`crate::fields`]) —
//! the same encoding the server-rendered pages post, so a draft reads back
//! through the same checks. Written as length-prefixed strings, not JSON
//! (a serde form of it would cost every member's download several KB), in
//! the outbox's conventions and with its reader ([`crate::outbox`]):
//!
//! ```text
//! 0x01 ‖ version (u32 LE) ‖ page (u32 LE) ‖ review (0 or 1)
//!      ‖ string survey id ‖ string submission id ‖ field count (u32 LE)
//!      ‖ (string name ‖ string value)*        string = length (u32 LE) ‖ UTF-8
//! ```

use surveys::Survey;

pub use seal::draft::{DRAFT_COST, DraftError, DraftKey, MIN_PASSPHRASE_CHARS};

use crate::fields;
use crate::form::Form;
use crate::outbox::{Reader, put_bytes, put_len};

/// The first byte inside the lock: this layout.
const FORMAT: u8 = 1;

/// What a locked draft holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unfinished {
    pub survey_id: String,
    pub version: u32,
    pub submission_id: String,
    /// The page the member was on (an index in [`Form::pages`]).
    pub page: usize,
    /// On the review.
    pub review: bool,
    pub fields: Vec<(String, String)>,
}

impl Unfinished {
    /// The form's answers and place, as they are now.
    pub fn of(form: &Form) -> Unfinished {
        Unfinished {
            survey_id: form.survey.id.clone(),
            version: form.survey.version,
            submission_id: form.submission_id.clone(),
            page: form.page_index(),
            review: form.reviewing,
            fields: fields::encode(&form.drafts),
        }
    }

    /// Its bytes, as locked (see the module's layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![FORMAT];
        out.extend_from_slice(&self.version.to_le_bytes());
        put_len(&mut out, self.page);
        out.push(u8::from(self.review));
        put_bytes(&mut out, self.survey_id.as_bytes());
        put_bytes(&mut out, self.submission_id.as_bytes());
        put_len(&mut out, self.fields.len());
        for (name, value) in &self.fields {
            put_bytes(&mut out, name.as_bytes());
            put_bytes(&mut out, value.as_bytes());
        }
        out
    }

    /// The inverse of [`Unfinished::to_bytes`]; `None` for bytes it did
    /// not make.
    pub fn from_bytes(bytes: &[u8]) -> Option<Unfinished> {
        let mut r = Reader { rest: bytes };
        if r.u8("format").ok()? != FORMAT {
            return None;
        }
        let version = r.u32("version").ok()?;
        let page = r.u32("page").ok()? as usize;
        let review = match r.u8("review").ok()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let survey_id = r.text("survey id").ok()?;
        let submission_id = r.text("submission id").ok()?;
        let count = r.u32("fields").ok()?;
        // No capacity from the count: each field takes at least eight
        // bytes, so the loop ends when the bytes do.
        let mut fields = Vec::new();
        for _ in 0..count {
            fields.push((r.text("name").ok()?, r.text("value").ok()?));
        }
        r.rest.is_empty().then_some(Unfinished {
            survey_id,
            version,
            submission_id,
            page,
            review,
            fields,
        })
    }

    /// Locked with `key`, ready to store.
    pub fn lock(&self, key: &DraftKey) -> Result<Vec<u8>, DraftError> {
        key.lock(&self.to_bytes())
    }

    /// Opens a stored draft with the member's passphrase: what it holds,
    /// and its key for saving it again.
    pub fn open(passphrase: &str, locked: &[u8]) -> Result<(DraftKey, Unfinished), DraftError> {
        let (key, bytes) = DraftKey::open(passphrase, locked)?;
        let unfinished =
            Unfinished::from_bytes(&bytes).ok_or(DraftError::Damaged("not a draft inside"))?;
        Ok((key, unfinished))
    }

    /// The form again, on `survey` — its current definition, which may be a
    /// newer version than the draft's: answers to questions (statements,
    /// options of a ranking) it no longer has are left out, and the rest go
    /// through the same checks as a form post. `None` for another survey.
    pub fn restore(self, survey: Survey) -> Option<Form> {
        if survey.id != self.survey_id {
            return None;
        }
        let same_version = survey.version == self.version;
        let mut kept = self.fields;
        let drafts = loop {
            match fields::decode(&survey, &kept) {
                Ok(drafts) => break drafts,
                Err(e) => {
                    let (fields::FieldsError::UnknownField(name)
                    | fields::FieldsError::Repeated(name)
                    | fields::FieldsError::TooLong(name)
                    | fields::FieldsError::BadValue(name)) = e;
                    // Each pass drops at least one field, so this ends.
                    kept.retain(|(n, _)| *n != name);
                }
            }
        };
        let mut form = Form::new(survey, self.submission_id);
        form.drafts = drafts;
        if same_version && self.review {
            form.review();
        } else if same_version {
            form.set_page(self.page);
        }
        Some(form)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::Draft;
    use crate::form::Edit;
    use seal::draft::Cost;

    const TEST_COST: Cost = Cost {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    fn survey(version: u32, extra: &str) -> Survey {
        let text = format!(
            r#"
id = "needs"
version = {version}
languages = ["en"]
title.en = "Needs"
privacy_budget = 1
drafts = true
[[sections]]
id = "one"
title.en = "One"
[[sections]]
id = "two"
title.en = "Two"
[[questions]]
id = "city"
section = "one"
type = "short_text"
label.en = "City"
[[questions]]
id = "services"
section = "two"
type = "multiple_choice"
label.en = "Services"
choices = [{{ id = "hiv", label.en = "HIV" }}, {{ id = "ost", label.en = "OST" }}]
{extra}
"#
        );
        surveys::parse_survey(&text).expect("survey")
    }

    fn filled(survey: Survey) -> Form {
        let mut form = Form::new(survey, "7f9c24e8-3b12-4fdd-a0f1-2c6a8b5d9e10".into());
        form.edit(Edit::SetText {
            question: "city".into(),
            text: "Бишкек".into(),
        });
        assert!(form.next_page());
        form.edit(Edit::Tick {
            question: "services".into(),
            choice: "ost".into(),
            ticked: true,
        });
        form
    }

    #[test]
    fn a_form_locked_and_opened_comes_back_on_the_same_page_with_the_same_answers() {
        let form = filled(survey(1, ""));
        let key = DraftKey::new("my own words", TEST_COST).expect("key");
        let locked = Unfinished::of(&form).lock(&key).expect("lock");
        assert!(
            !locked
                .windows("Бишкек".len())
                .any(|w| w == "Бишкек".as_bytes())
                && !locked.windows(3).any(|w| w == b"ost"),
            "the locked bytes show no answer"
        );
        assert_eq!(
            Unfinished::open("not my words", &locked).expect_err("refused"),
            DraftError::WrongPassphrase
        );
        let (_, unfinished) = Unfinished::open("my own words", &locked).expect("open");
        let back = unfinished.restore(survey(1, "")).expect("restore");
        assert_eq!(back.drafts, form.drafts);
        assert_eq!(back.submission_id, form.submission_id);
        assert_eq!(back.page_index(), 1);
        assert_eq!(back.answers(), form.answers());
    }

    #[test]
    fn a_newer_version_keeps_the_answers_it_still_asks_and_starts_at_the_beginning() {
        let mut form = filled(survey(1, ""));
        // An answer to a question that version 2 no longer has.
        form.drafts.insert("city".into(), Draft::Text("Ош".into()));
        let mut unfinished = Unfinished::of(&form);
        unfinished.fields.push(("gone".into(), "x".into()));
        let back = unfinished.restore(survey(2, "")).expect("restore");
        assert_eq!(back.page_index(), 0);
        assert_eq!(back.drafts.get("city"), Some(&Draft::Text("Ош".into())));
        assert_eq!(
            back.drafts.get("services"),
            Some(&Draft::Choices(vec!["ost".into()]))
        );
        assert!(!back.drafts.contains_key("gone"));
    }

    #[test]
    fn a_draft_of_another_survey_is_not_restored_into_this_one() {
        let form = filled(survey(1, ""));
        let mut unfinished = Unfinished::of(&form);
        unfinished.survey_id = "other".into();
        assert!(unfinished.restore(survey(1, "")).is_none());
    }

    proptest::proptest! {
        #[test]
        fn bytes_round_trip_and_arbitrary_bytes_never_panic(
            survey_id in ".{0,12}",
            fields in proptest::collection::vec((".{0,8}", ".{0,20}"), 0..6),
            page in 0usize..50,
            review: bool,
            junk in proptest::collection::vec(0u8..=255, 0..80),
        ) {
            let u = Unfinished {
                survey_id,
                version: 7,
                submission_id: "sid".into(),
                page,
                review,
                fields,
            };
            let bytes = u.to_bytes();
            proptest::prop_assert_eq!(Unfinished::from_bytes(&bytes), Some(u));
            // Cut short or extended: refused.
            proptest::prop_assert_eq!(Unfinished::from_bytes(&bytes[..bytes.len() - 1]), None);
            let mut longer = bytes.clone();
            longer.push(0);
            proptest::prop_assert_eq!(Unfinished::from_bytes(&longer), None);
            let _ = Unfinished::from_bytes(&junk);
        }
    }

    #[test]
    fn a_draft_on_the_review_comes_back_on_the_review() {
        let mut form = filled(survey(1, ""));
        assert!(form.review());
        let unfinished = Unfinished::of(&form);
        assert!(unfinished.review);
        assert!(
            unfinished
                .restore(survey(1, ""))
                .expect("restore")
                .reviewing
        );
    }
}
