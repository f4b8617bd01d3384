//! The runner's own words (buttons, messages), translated.
//!
//! Survey texts come from the survey file; these are the words around them.
//! A language without a translation falls back to English, word by word.

/// Every phrase the runner shows that is not part of a survey.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ui {
    AppName,
    OpenSurveys,
    NoSurveys,
    Loading,
    Start,
    Submit,
    Sending,
    Back,
    Required,
    Optional,
    ThankYou,
    Stored,
    AnotherSurvey,
    FixErrors,
    NetworkError,
    Language,
    Results,
    PrivacyNote,
    ErrUnknownQuestion,
    ErrRequired,
    ErrWrongType,
    ErrUnknownChoice,
    ErrRepeatedChoice,
    ErrBelowMin,
    ErrAboveMax,
    ErrTooLong,
}

/// Languages with a full translation of the runner.
pub const UI_LANGUAGES: &[(&str, &str)] = &[("ru", "Русский"), ("en", "English")];

/// The phrase `key` in `lang`. Placeholders such as `{min}` are left for the
/// caller to fill.
pub fn ui(lang: &str, key: Ui) -> &'static str {
    match lang {
        "ru" => ru(key),
        _ => en(key),
    }
}

fn en(key: Ui) -> &'static str {
    match key {
        Ui::AppName => "Chorus",
        Ui::OpenSurveys => "Open surveys",
        Ui::NoSurveys => "There are no open surveys right now.",
        Ui::Loading => "Loading…",
        Ui::Start => "Start",
        Ui::Submit => "Submit",
        Ui::Sending => "Sending…",
        Ui::Back => "Back",
        Ui::Required => "required",
        Ui::Optional => "optional",
        Ui::ThankYou => "Thank you. Your answers have been received.",
        Ui::Stored => "Nothing that identifies you was stored with them.",
        Ui::AnotherSurvey => "Back to the list of surveys",
        Ui::FixErrors => "Some answers need attention. Please check the questions marked below.",
        Ui::NetworkError => {
            "Could not reach the server. Your answers are still here; please try again."
        }
        Ui::Language => "Language",
        Ui::Results => "Published results",
        Ui::PrivacyNote => {
            "Answers are anonymous: no name, address, IP address or device details are recorded. Published numbers are aggregated and carry statistical noise so that no single answer can be picked out."
        }
        Ui::ErrUnknownQuestion => "This survey has no such question",
        Ui::ErrRequired => "This question is required.",
        Ui::ErrWrongType => "This answer has the wrong form",
        Ui::ErrUnknownChoice => "Not one of the options",
        Ui::ErrRepeatedChoice => "Option chosen twice",
        Ui::ErrBelowMin => "Please enter a number of at least {min}.",
        Ui::ErrAboveMax => "Please enter a number of at most {max}.",
        Ui::ErrTooLong => "Please keep this answer within {max} characters.",
    }
}

fn ru(key: Ui) -> &'static str {
    match key {
        Ui::AppName => "Chorus",
        Ui::OpenSurveys => "Открытые опросы",
        Ui::NoSurveys => "Сейчас нет открытых опросов.",
        Ui::Loading => "Загрузка…",
        Ui::Start => "Начать",
        Ui::Submit => "Отправить",
        Ui::Sending => "Отправка…",
        Ui::Back => "Назад",
        Ui::Required => "обязательный вопрос",
        Ui::Optional => "необязательный вопрос",
        Ui::ThankYou => "Спасибо. Ваши ответы получены.",
        Ui::Stored => "Вместе с ними не сохранено ничего, что могло бы указать на вас.",
        Ui::AnotherSurvey => "К списку опросов",
        Ui::FixErrors => "Некоторые ответы требуют внимания. Проверьте отмеченные ниже вопросы.",
        Ui::NetworkError => {
            "Не удалось связаться с сервером. Ваши ответы сохранены на странице; попробуйте ещё раз."
        }
        Ui::Language => "Язык",
        Ui::Results => "Опубликованные результаты",
        Ui::PrivacyNote => {
            "Ответы анонимны: имя, адрес, IP-адрес и данные устройства не записываются. Публикуются только обобщённые числа со статистическим шумом, по которым нельзя выделить ответ одного человека."
        }
        Ui::ErrUnknownQuestion => "В этом опросе нет такого вопроса",
        Ui::ErrRequired => "Это обязательный вопрос.",
        Ui::ErrWrongType => "Ответ имеет неверный формат",
        Ui::ErrUnknownChoice => "Такого варианта нет",
        Ui::ErrRepeatedChoice => "Вариант выбран дважды",
        Ui::ErrBelowMin => "Введите число не меньше {min}.",
        Ui::ErrAboveMax => "Введите число не больше {max}.",
        Ui::ErrTooLong => "Ответ должен быть не длиннее {max} символов.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[Ui] = &[
        Ui::AppName,
        Ui::OpenSurveys,
        Ui::NoSurveys,
        Ui::Loading,
        Ui::Start,
        Ui::Submit,
        Ui::Sending,
        Ui::Back,
        Ui::Required,
        Ui::Optional,
        Ui::ThankYou,
        Ui::Stored,
        Ui::AnotherSurvey,
        Ui::FixErrors,
        Ui::NetworkError,
        Ui::Language,
        Ui::Results,
        Ui::PrivacyNote,
        Ui::ErrUnknownQuestion,
        Ui::ErrRequired,
        Ui::ErrWrongType,
        Ui::ErrUnknownChoice,
        Ui::ErrRepeatedChoice,
        Ui::ErrBelowMin,
        Ui::ErrAboveMax,
        Ui::ErrTooLong,
    ];

    #[test]
    fn every_language_translates_every_phrase_with_the_same_placeholders() {
        for (lang, _) in UI_LANGUAGES {
            for &key in ALL {
                let text = ui(lang, key);
                assert!(!text.trim().is_empty(), "{lang} {key:?}");
                for ph in ["{min}", "{max}"] {
                    assert_eq!(
                        text.contains(ph),
                        en(key).contains(ph),
                        "{lang} {key:?} {ph}"
                    );
                }
                if *lang != "en" && key != Ui::AppName {
                    assert_ne!(text, en(key), "{lang} {key:?} is untranslated");
                }
            }
        }
    }

    #[test]
    fn unknown_language_falls_back_to_english() {
        assert_eq!(ui("xx", Ui::Submit), "Submit");
        assert_eq!(ui("ru", Ui::Submit), "Отправить");
    }
}
