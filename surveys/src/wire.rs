//! Reading the JSON wire format of [`Question`], [`Requirement`] and
//! [`Statistic`] by hand.
//!
//! Their serialised form (derived) uses serde's `flatten` and internally
//! tagged enums: `{"id": "q1", "type": "integer", "min": 0}`. Derived
//! *deserialisation* of that shape first buffers each object into serde's
//! generic `Content` tree and then reads every variant out of it again,
//! which in the browser's wasm costs tens of kilobytes of code. Here each
//! object is read once, into one flat struct holding every field any
//! variant has, and the variant is then built from its `type` (or `kind`).
//! The format is the same: what [`serde::Serialize`] writes reads back
//! equal (tested on every bundled survey and on every question type).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, de::Error as _};

use crate::load::{QUESTION_TYPES, STATISTICS};
use crate::model::{Choice, Constraint, Question, QuestionKind, Requirement, Statistic, Text};

/// A JSON value that is an integer, another number or a string: the
/// fields whose type depends on the variant (`min`/`max` of integer,
/// decimal and date questions).
enum Scalar {
    Int(i64),
    Float(f64),
    Str(String),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl Scalar {
    fn int<E: de::Error>(v: Option<Scalar>, field: &str) -> Result<Option<i64>, E> {
        match v {
            None => Ok(None),
            Some(Scalar::Int(i)) => Ok(Some(i)),
            Some(_) => Err(E::custom(format!("`{field}` must be an integer"))),
        }
    }

    fn float<E: de::Error>(v: Option<Scalar>, field: &str) -> Result<Option<f64>, E> {
        match v {
            None => Ok(None),
            Some(Scalar::Int(i)) => Ok(Some(i as f64)),
            Some(Scalar::Float(x)) => Ok(Some(x)),
            Some(Scalar::Str(_)) => Err(E::custom(format!("`{field}` must be a number"))),
        }
    }

    fn text<E: de::Error>(v: Option<Scalar>, field: &str) -> Result<Option<String>, E> {
        match v {
            None => Ok(None),
            Some(Scalar::Str(s)) => Ok(Some(s)),
            Some(_) => Err(E::custom(format!("`{field}` must be a string"))),
        }
    }
}

/// `scale`: the number of points of a rating, or the shared options of a grid.
enum Scale {
    Points(u64),
    Choices(Vec<Choice>),
}

impl<'de> Deserialize<'de> for Scale {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scale;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of points or a list of options")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scale, E> {
                Ok(Scale::Points(v))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scale, A::Error> {
                let mut all = Vec::new();
                while let Some(c) = seq.next_element()? {
                    all.push(c);
                }
                Ok(Scale::Choices(all))
            }
        }
        d.deserialize_any(V)
    }
}

/// Every field of a question, of every type, as it stands in the JSON.
#[derive(Deserialize)]
struct QuestionFields {
    id: String,
    #[serde(default)]
    label: Text,
    #[serde(default)]
    hint: Option<Text>,
    #[serde(default)]
    section: Option<String>,
    #[serde(default)]
    required: Requirement,
    #[serde(default)]
    required_message: Option<Text>,
    #[serde(default)]
    relevant: Option<String>,
    #[serde(default)]
    constraint: Option<Constraint>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    choices: Option<Vec<Choice>>,
    #[serde(default)]
    other: bool,
    #[serde(default)]
    randomize: bool,
    #[serde(default)]
    min_selected: Option<u32>,
    #[serde(default)]
    max_selected: Option<u32>,
    #[serde(default)]
    max_length: Option<u32>,
    #[serde(default)]
    min: Option<Scalar>,
    #[serde(default)]
    max: Option<Scalar>,
    #[serde(default)]
    scale: Option<Scale>,
    #[serde(default)]
    low_label: Option<Text>,
    #[serde(default)]
    high_label: Option<Text>,
    #[serde(default)]
    statements: Option<Vec<Choice>>,
    #[serde(default)]
    rank: Option<u32>,
    #[serde(default)]
    expression: Option<String>,
    #[serde(default)]
    questions: Option<Vec<Question>>,
    #[serde(default)]
    count: Option<String>,
}

fn need<T, E: de::Error>(v: Option<T>, field: &'static str) -> Result<T, E> {
    v.ok_or_else(|| E::missing_field(field))
}

impl QuestionFields {
    fn kind<E: de::Error>(&mut self) -> Result<QuestionKind, E> {
        let choices = |c: &mut Option<Vec<Choice>>| need(c.take(), "choices");
        Ok(match self.kind.as_str() {
            "single_choice" => QuestionKind::SingleChoice {
                choices: choices(&mut self.choices)?,
                other: self.other,
                randomize: self.randomize,
            },
            "multiple_choice" => QuestionKind::MultipleChoice {
                choices: choices(&mut self.choices)?,
                other: self.other,
                randomize: self.randomize,
                min_selected: self.min_selected,
                max_selected: self.max_selected,
            },
            "short_text" => QuestionKind::ShortText {
                max_length: need(self.max_length, "max_length")?,
            },
            "long_text" => QuestionKind::LongText {
                max_length: need(self.max_length, "max_length")?,
            },
            "integer" => QuestionKind::Integer {
                min: Scalar::int(self.min.take(), "min")?,
                max: Scalar::int(self.max.take(), "max")?,
            },
            "decimal" => QuestionKind::Decimal {
                min: Scalar::float(self.min.take(), "min")?,
                max: Scalar::float(self.max.take(), "max")?,
            },
            "date" => QuestionKind::Date {
                min: Scalar::text(self.min.take(), "min")?,
                max: Scalar::text(self.max.take(), "max")?,
            },
            "rating" => QuestionKind::Rating {
                scale: match self.scale.take() {
                    Some(Scale::Points(n)) => u8::try_from(n)
                        .map_err(|_| E::custom("`scale` of a rating must be at most 255"))?,
                    Some(Scale::Choices(_)) => {
                        return Err(E::custom("`scale` of a rating must be a number"));
                    }
                    None => return Err(E::missing_field("scale")),
                },
                low_label: self.low_label.take(),
                high_label: self.high_label.take(),
            },
            "grid" => QuestionKind::Grid {
                statements: need(self.statements.take(), "statements")?,
                scale: match self.scale.take() {
                    Some(Scale::Choices(c)) => c,
                    Some(Scale::Points(_)) => {
                        return Err(E::custom("`scale` of a grid must be a list of options"));
                    }
                    None => return Err(E::missing_field("scale")),
                },
            },
            "ranking" => QuestionKind::Ranking {
                choices: choices(&mut self.choices)?,
                rank: self.rank,
                randomize: self.randomize,
            },
            "note" => QuestionKind::Note,
            "consent" => QuestionKind::Consent,
            "calculate" => QuestionKind::Calculate {
                expression: need(self.expression.take(), "expression")?,
            },
            "repeat" => QuestionKind::Repeat {
                questions: need(self.questions.take(), "questions")?,
                max: Scalar::int(self.max.take(), "max")?
                    .and_then(|m| u32::try_from(m).ok())
                    .ok_or_else(|| E::custom("`max` of a repeat must be a whole number"))?,
                min: Scalar::int(self.min.take(), "min")?
                    .map_or(Ok(0), u32::try_from)
                    .map_err(|_| E::custom("`min` of a repeat must be a whole number"))?,
                count: self.count.take(),
            },
            other => return Err(E::unknown_variant(other, QUESTION_TYPES)),
        })
    }
}

impl<'de> Deserialize<'de> for Question {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut f = QuestionFields::deserialize(d)?;
        let kind = f.kind()?;
        Ok(Question {
            id: f.id,
            label: f.label,
            hint: f.hint,
            section: f.section,
            required: f.required,
            required_message: f.required_message,
            relevant: f.relevant,
            constraint: f.constraint,
            kind,
        })
    }
}

impl<'de> Deserialize<'de> for Requirement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Requirement;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, false or an expression")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Requirement, E> {
                Ok(Requirement::Fixed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Requirement, E> {
                Ok(Requirement::When(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Requirement, E> {
                Ok(Requirement::When(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Every field of a planned statistic, of every kind.
#[derive(Deserialize)]
struct StatisticFields {
    kind: String,
    #[serde(default)]
    lower: Option<f64>,
    #[serde(default)]
    upper: Option<f64>,
    #[serde(default)]
    edges: Option<Vec<f64>>,
    #[serde(default)]
    degree: Option<String>,
}

impl<'de> Deserialize<'de> for Statistic {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = StatisticFields::deserialize(d)?;
        Ok(match f.kind.as_str() {
            "total" => Statistic::Total,
            "counts" => Statistic::Counts,
            "instances" => Statistic::Instances,
            "mean" => Statistic::Mean {
                lower: need(f.lower, "lower")?,
                upper: need(f.upper, "upper")?,
            },
            "histogram" => Statistic::Histogram {
                edges: need(f.edges, "edges")?,
            },
            "quantiles" => Statistic::Quantiles {
                edges: need(f.edges, "edges")?,
            },
            "first_choice" => Statistic::FirstChoice,
            "mean_rank" => Statistic::MeanRank,
            "rds_proportion" => Statistic::RdsProportion {
                degree: need(f.degree, "degree")?,
            },
            other => return Err(D::Error::unknown_variant(other, STATISTICS)),
        })
    }
}
