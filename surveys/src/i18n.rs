//! The runner's own words (buttons, messages), translated.
//!
//! Survey texts come from the survey file; these are the words around them.
//! A language without a translation falls back to English, word by word.
//!
//! Placeholders (`{min}`, `{max}`, `{n}`, `{x}`, `{y}`, `{date}`) are filled
//! by the caller. Translations avoid grammatical endings on a placeholder
//! (Russian numeral agreement, Kazakh and Kyrgyz vowel harmony), so any
//! number reads correctly.
//!
//! In the browser only English is compiled in: the WASM runner gets the
//! words of the member's language from the collector ([`words`] there,
//! [`install`] here), in the page it takes over or from `GET /api/ui/{lang}`,
//! so that the wasm every member downloads does not carry five languages
//! they do not read.

use std::sync::Mutex;

/// Declares [`Ui`] and [`Ui::ALL`] from one list, so that the list cannot
/// miss a phrase.
macro_rules! phrases {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// Every phrase the runner shows that is not part of a survey.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Ui {
            $($(#[$doc])* $name,)*
        }

        impl Ui {
            /// Every phrase, in declaration order (`ALL[k as usize] == k`):
            /// the order of the words the collector sends the browser.
            pub const ALL: &[Ui] = &[$(Ui::$name,)*];
        }
    };
}

phrases! {
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
/// Go to the next page.
Next,
/// `{x}`: this page, `{y}`: the number of pages.
PageXOfY,
/// The list of surveys could not be fetched.
LoadFailed,
TryAgain,
/// Un-answers a question.
ClearAnswer,
/// The label of the "other" option of a choice question.
OtherSpecify,
/// A repeat with no instance yet: adds the first.
AddInstance,
/// A repeat with instances: adds one more.
AddAnother,
/// Takes one instance of a repeat out, with its answers.
RemoveInstance,
/// Under a consent tick-box.
ConsentHint,
/// The skip link, first on every page.
SkipToContent,
/// Leaves the survey for a neutral page at once.
QuickExit,
/// The last page's button: on to the review of every answer.
Review,
ReviewHeading,
ReviewNote,
/// Back from the review to one page.
Change,
/// In the review, for a question left blank.
NotAnswered,
/// In the review, for a ticked consent box.
Agreed,
/// Without scripts: an answer made more questions of the same page relevant.
MoreQuestions,
/// A form post picked options that its other answers no longer offer.
OptionsChanged,
/// A form post that no page could have made.
FormUnreadable,
/// The answers do not fit in the largest envelope; nothing was sent.
SealTooLarge,
/// The answers could not be sealed on this device; nothing was sent.
SealUnusable,
/// Submit without a connection: the heading of the screen that says the
/// answers wait on the device.
SavedHeading,
SavedNote,
/// `{n}`: how many answers wait on the device to be sent.
WaitingToSend,
/// Sends the waiting answers at once.
SendNow,
/// Answers that waited on the device have been stored.
QueueReceived,
/// Before the collector's message: it refused answers that waited.
QueueRefused,
/// The member has read a refusal: its answers are deleted.
RefusalSeen,
/// Said before the member starts: no IndexedDB (some private windows).
NoDeviceStorage,
/// `navigator.storage.persist()` was refused.
MayBeDeleted,
/// Removes every answer still waiting (the quick exit keeps them).
DeleteWaiting,
DeleteWaitingConfirm,
DeleteYes,
Cancel,
/// A survey that allows drafts: the heading of the offer to keep an
/// unfinished answer on the phone, locked with the member's passphrase.
KeepHeading,
KeepNote,
Passphrase,
PassphraseAgain,
KeepAnswers,
PassphraseShort,
PassphraseDiffers,
PleaseWait,
KeptNote,
/// Removes the locked unfinished answers (the quick exit does too).
DeleteKept,
/// `{n}`: how many locked unfinished answers the phone keeps.
UnfinishedHeading,
UnfinishedNote,
Continue,
WrongPassphrase,
KeepFailed,
DeleteKeptConfirm,
ErrUnknownQuestion,
ErrRequired,
ErrWrongType,
ErrUnknownChoice,
ErrChoiceNotOffered,
ErrRepeatedChoice,
ErrBelowMin,
ErrAboveMax,
ErrTooLong,
ErrNotAnswerable,
ErrDateTooEarly,
ErrDateTooLate,
ErrTooFewSelected,
ErrTooManySelected,
ErrTooFewInstances,
ErrTooManyInstances,
ErrExclusive,
ErrRankCount,
ErrUnknownStatement,
ErrIncompleteGrid,
ErrConsentNeeded,
ErrOtherMissing,
ErrConstraint,
ErrInvalidSurvey,}

/// Languages with a full translation of the runner, each named in itself.
pub const UI_LANGUAGES: &[(&str, &str)] = &[
    ("ru", "Русский"),
    ("en", "English"),
    ("uk", "Українська"),
    ("ka", "ქართული"),
    ("kk", "Қазақша"),
    ("ky", "Кыргызча"),
];

/// The phrase `key` in `lang`. Placeholders such as `{min}` are left for the
/// caller to fill. In the browser, a language other than English reads
/// what [`install`] was given, and English until then.
pub fn ui(lang: &str, key: Ui) -> &'static str {
    #[cfg(not(target_arch = "wasm32"))]
    match lang {
        "ru" => return ru(key),
        "uk" => return uk(key),
        "ka" => return ka(key),
        "kk" => return kk(key),
        "ky" => return ky(key),
        _ => {}
    }
    installed(lang).map_or_else(|| en(key), |words| words[key as usize])
}

/// Every phrase in `lang`, in the order of [`Ui::ALL`]: what the collector
/// sends the WASM runner for [`install`].
pub fn words(lang: &str) -> Vec<&'static str> {
    Ui::ALL.iter().map(|&key| ui(lang, key)).collect()
}

/// Why a table of words was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WordsError {
    #[error("`{0}` is not one of the runner's languages")]
    UnknownLanguage(String),
    #[error("{found} words instead of {expected}")]
    WrongCount { found: usize, expected: usize },
    #[error("the word for {0:?} is empty")]
    Empty(Ui),
}

/// The tables given to [`install`], each language at most once.
static INSTALLED: Mutex<Vec<(&'static str, &'static [&'static str])>> = Mutex::new(Vec::new());

fn installed(lang: &str) -> Option<&'static [&'static str]> {
    let tables = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    tables.iter().find(|(l, _)| *l == lang).map(|&(_, w)| w)
}

/// Whether `lang`'s words are here: English always, another language once
/// [`install`]ed (natively, every language is compiled in).
pub fn has_words(lang: &str) -> bool {
    lang == "en"
        || installed(lang).is_some()
        || (cfg!(not(target_arch = "wasm32")) && UI_LANGUAGES.iter().any(|(l, _)| *l == lang))
}

/// `code` as one of [`UI_LANGUAGES`]' codes (with its `'static` lifetime),
/// or `None` when the runner does not speak it.
pub fn ui_language(code: &str) -> Option<&'static str> {
    UI_LANGUAGES
        .iter()
        .find(|(l, _)| *l == code)
        .map(|&(l, _)| l)
}

/// Takes `lang`'s words (from [`words`], in the order of [`Ui::ALL`]) for
/// [`ui`], and returns the language's code. A table is checked before it
/// is taken: one word per phrase, none empty. A language installed before
/// keeps its first table (the tables live as long as the page, which loads
/// at most one per language).
pub fn install(lang: &str, words: Vec<String>) -> Result<&'static str, WordsError> {
    let code = ui_language(lang).ok_or_else(|| WordsError::UnknownLanguage(lang.to_string()))?;
    if words.len() != Ui::ALL.len() {
        return Err(WordsError::WrongCount {
            found: words.len(),
            expected: Ui::ALL.len(),
        });
    }
    if let Some(i) = words.iter().position(|w| w.trim().is_empty()) {
        return Err(WordsError::Empty(Ui::ALL[i]));
    }
    let mut tables = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if !tables.iter().any(|(l, _)| *l == code) {
        let leaked: Vec<&'static str> = words
            .into_iter()
            .map(|w| &*Box::leak(w.into_boxed_str()))
            .collect();
        tables.push((code, Box::leak(leaked.into_boxed_slice())));
    }
    Ok(code)
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
        Ui::Next => "Next",
        Ui::PageXOfY => "Page {x} of {y}",
        Ui::LoadFailed => "Could not load the surveys.",
        Ui::TryAgain => "Try again",
        Ui::ClearAnswer => "Clear answer",
        Ui::OtherSpecify => "Other, please specify",
        Ui::AddInstance => "Add",
        Ui::AddAnother => "Add another",
        Ui::RemoveInstance => "Remove",
        Ui::ConsentHint => "Tick the box if you agree.",
        Ui::SkipToContent => "Skip to content",
        Ui::QuickExit => "Quick exit",
        Ui::Review => "Review answers",
        Ui::ReviewHeading => "Check your answers",
        Ui::ReviewNote => {
            "Nothing has been sent yet. Send these answers below, or change them first."
        }
        Ui::Change => "Change",
        Ui::NotAnswered => "Not answered",
        Ui::Agreed => "Agreed",
        Ui::OptionsChanged => {
            "Your answers changed the options offered on this page. Please check them."
        }
        Ui::MoreQuestions => {
            "Your answers open further questions on this page. Please answer them too."
        }
        Ui::FormUnreadable => {
            "This page could not be read. Please go back to the list of surveys and start again."
        }
        Ui::SealTooLarge => {
            "Your answers are too long to be encrypted and sent. Please shorten your longest written answers and try again. Nothing has been sent."
        }
        Ui::SealUnusable => {
            "Your answers could not be encrypted on this device, so they were not sent. Your answers are still here. Please tell the survey's organisers; another browser may work."
        }
        Ui::SavedHeading => "Saved on this device",
        Ui::SavedNote => {
            "There is no connection to the server right now. Your answers are saved on this device and will be sent automatically when there is a connection and this app is open."
        }
        Ui::WaitingToSend => "Answers waiting to be sent: {n}",
        Ui::SendNow => "Send now",
        Ui::QueueReceived => {
            "Your saved answers have been received. Nothing of them is left on this device."
        }
        Ui::QueueRefused => "The server did not accept answers saved on this device:",
        Ui::RefusalSeen => "Remove from this device",
        Ui::NoDeviceStorage => {
            "This browser cannot keep answers on this device (for example in a private window). Your answers can be sent only while there is a connection."
        }
        Ui::MayBeDeleted => {
            "This browser may delete saved answers when the phone runs low on space. Please go online soon so that they are sent."
        }
        Ui::DeleteWaiting => "Delete unsent answers from this phone",
        Ui::DeleteWaitingConfirm => {
            "Delete the answers that were not sent? They cannot be recovered."
        }
        Ui::DeleteYes => "Delete",
        Ui::Cancel => "Cancel",
        Ui::KeepHeading => "Finish later on this phone",
        Ui::KeepNote => {
            "You can keep these answers on this phone, locked with a passphrase you choose, and finish later. Nobody can open them without the passphrase — not even the survey's organisers — so remember it: it cannot be recovered."
        }
        Ui::Passphrase => "Passphrase (at least 8 characters)",
        Ui::PassphraseAgain => "The same passphrase again",
        Ui::KeepAnswers => "Keep my answers on this phone",
        Ui::PassphraseShort => "The passphrase needs at least 8 characters.",
        Ui::PassphraseDiffers => "The two passphrases are not the same.",
        Ui::PleaseWait => "Please wait…",
        Ui::KeptNote => {
            "Your answers are kept on this phone, locked with your passphrase, and saved as you go. They are deleted when you submit, on quick exit, or with the button below."
        }
        Ui::DeleteKept => "Delete my answers from this phone",
        Ui::UnfinishedHeading => "Unfinished answers on this phone: {n}",
        Ui::UnfinishedNote => "Enter your passphrase to continue where you stopped.",
        Ui::Continue => "Continue",
        Ui::WrongPassphrase => "This passphrase does not open the answers kept on this phone.",
        Ui::KeepFailed => "The answers could not be kept on this phone.",
        Ui::DeleteKeptConfirm => {
            "Delete the unfinished answers from this phone? They cannot be recovered."
        }
        Ui::ErrUnknownQuestion => "This survey has no such question",
        Ui::ErrRequired => "This question is required.",
        Ui::ErrWrongType => "This answer has the wrong form",
        Ui::ErrUnknownChoice => "Not one of the options",
        Ui::ErrChoiceNotOffered => "This option does not apply after your earlier answers",
        Ui::ErrRepeatedChoice => "Option chosen twice",
        Ui::ErrBelowMin => "Please enter a number of at least {min}.",
        Ui::ErrAboveMax => "Please enter a number of at most {max}.",
        Ui::ErrTooLong => "Please keep this answer within {max} characters.",
        Ui::ErrNotAnswerable => "This item takes no answer.",
        Ui::ErrDateTooEarly => "Please enter a date no earlier than {date}.",
        Ui::ErrDateTooLate => "Please enter a date no later than {date}.",
        Ui::ErrTooFewSelected => "Too few options: please choose at least {min}.",
        Ui::ErrTooManySelected => "Too many options: please choose at most {max}.",
        Ui::ErrTooFewInstances => "Please describe at least {min}.",
        Ui::ErrTooManyInstances => "At most {max} can be described.",
        Ui::ErrExclusive => "This option cannot be combined with others.",
        Ui::ErrRankCount => "Please rank exactly {n} options.",
        Ui::ErrUnknownStatement => "This question has no such statement",
        Ui::ErrIncompleteGrid => "Please answer every line.",
        Ui::ErrConsentNeeded => "Please tick the box to go on.",
        Ui::ErrOtherMissing => "Please say what “Other” is.",
        Ui::ErrConstraint => "This answer does not fit here. Please check it.",
        Ui::ErrInvalidSurvey => "This survey cannot take answers right now.",
    }
}

#[cfg(not(target_arch = "wasm32"))]
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
        Ui::Next => "Далее",
        Ui::PageXOfY => "Страница {x} из {y}",
        Ui::LoadFailed => "Не удалось загрузить опросы.",
        Ui::TryAgain => "Попробовать ещё раз",
        Ui::ClearAnswer => "Очистить ответ",
        Ui::OtherSpecify => "Другое (уточните)",
        Ui::AddInstance => "Добавить",
        Ui::AddAnother => "Добавить ещё",
        Ui::RemoveInstance => "Удалить",
        Ui::ConsentHint => "Отметьте, если вы согласны.",
        Ui::SkipToContent => "Перейти к содержанию",
        Ui::QuickExit => "Быстрый выход",
        Ui::Review => "Проверить ответы",
        Ui::ReviewHeading => "Проверьте ваши ответы",
        Ui::ReviewNote => {
            "Пока ничего не отправлено. Отправьте эти ответы ниже или сначала измените их."
        }
        Ui::Change => "Изменить",
        Ui::NotAnswered => "Нет ответа",
        Ui::Agreed => "Согласие дано",
        Ui::OptionsChanged => {
            "Ваши ответы изменили варианты на этой странице. Пожалуйста, проверьте их."
        }
        Ui::MoreQuestions => {
            "Ваши ответы открыли на этой странице новые вопросы. Пожалуйста, ответьте и на них."
        }
        Ui::FormUnreadable => {
            "Не удалось прочитать эту страницу. Вернитесь к списку опросов и начните заново."
        }
        Ui::SealTooLarge => {
            "Ваши ответы слишком длинные, чтобы их зашифровать и отправить. Сократите самые длинные текстовые ответы и попробуйте ещё раз. Ничего не отправлено."
        }
        Ui::SealUnusable => {
            "Не удалось зашифровать ответы на этом устройстве, поэтому они не отправлены. Ваши ответы сохранены на странице. Сообщите об этом организаторам опроса; может помочь другой браузер."
        }
        Ui::SavedHeading => "Сохранено на этом устройстве",
        Ui::SavedNote => {
            "Сейчас нет связи с сервером. Ваши ответы сохранены на этом устройстве и будут отправлены автоматически, когда появится связь и будет открыто это приложение."
        }
        Ui::WaitingToSend => "Ответы, ожидающие отправки: {n}",
        Ui::SendNow => "Отправить сейчас",
        Ui::QueueReceived => {
            "Сохранённые ответы получены. На этом устройстве от них ничего не осталось."
        }
        Ui::QueueRefused => "Сервер не принял ответы, сохранённые на этом устройстве:",
        Ui::RefusalSeen => "Удалить с этого устройства",
        Ui::NoDeviceStorage => {
            "Этот браузер не может хранить ответы на устройстве (например, в приватном окне). Ответы можно отправить только при наличии связи."
        }
        Ui::MayBeDeleted => {
            "Браузер может удалить сохранённые ответы, если на телефоне мало места. Подключитесь к сети как можно скорее, чтобы они были отправлены."
        }
        Ui::DeleteWaiting => "Удалить неотправленные ответы с этого телефона",
        Ui::DeleteWaitingConfirm => "Удалить неотправленные ответы? Восстановить их будет нельзя.",
        Ui::DeleteYes => "Удалить",
        Ui::Cancel => "Отмена",
        Ui::KeepHeading => "Закончить позже на этом телефоне",
        Ui::KeepNote => {
            "Можно сохранить эти ответы на этом телефоне под паролем, который вы выберете, и закончить позже. Без пароля их не откроет никто — даже организаторы опроса, поэтому запомните его: восстановить его нельзя."
        }
        Ui::Passphrase => "Пароль (не меньше 8 знаков)",
        Ui::PassphraseAgain => "Тот же пароль ещё раз",
        Ui::KeepAnswers => "Сохранить мои ответы на этом телефоне",
        Ui::PassphraseShort => "В пароле должно быть не меньше 8 знаков.",
        Ui::PassphraseDiffers => "Пароли не совпадают.",
        Ui::PleaseWait => "Подождите…",
        Ui::KeptNote => {
            "Ваши ответы хранятся на этом телефоне под вашим паролем и сохраняются по ходу заполнения. Они удаляются, когда вы отправите ответы, при быстром выходе или кнопкой ниже."
        }
        Ui::DeleteKept => "Удалить мои ответы с этого телефона",
        Ui::UnfinishedHeading => "Незаконченные ответы на этом телефоне: {n}",
        Ui::UnfinishedNote => "Введите пароль, чтобы продолжить с того места, где вы остановились.",
        Ui::Continue => "Продолжить",
        Ui::WrongPassphrase => "Этот пароль не открывает ответы, сохранённые на этом телефоне.",
        Ui::KeepFailed => "Не удалось сохранить ответы на этом телефоне.",
        Ui::DeleteKeptConfirm => {
            "Удалить незаконченные ответы с этого телефона? Восстановить их будет нельзя."
        }
        Ui::ErrUnknownQuestion => "В этом опросе нет такого вопроса",
        Ui::ErrRequired => "Это обязательный вопрос.",
        Ui::ErrWrongType => "Ответ имеет неверный формат",
        Ui::ErrUnknownChoice => "Такого варианта нет",
        Ui::ErrChoiceNotOffered => "Этот вариант не подходит к вашим предыдущим ответам",
        Ui::ErrRepeatedChoice => "Вариант выбран дважды",
        Ui::ErrBelowMin => "Введите число не меньше {min}.",
        Ui::ErrAboveMax => "Введите число не больше {max}.",
        Ui::ErrTooLong => "Ответ должен быть не длиннее {max} символов.",
        Ui::ErrNotAnswerable => "Этот пункт не требует ответа.",
        Ui::ErrDateTooEarly => "Укажите дату не раньше {date}.",
        Ui::ErrDateTooLate => "Укажите дату не позже {date}.",
        Ui::ErrTooFewSelected => "Слишком мало вариантов: нужно не меньше {min}.",
        Ui::ErrTooManySelected => "Слишком много вариантов: можно не больше {max}.",
        Ui::ErrTooFewInstances => "Опишите хотя бы {min}.",
        Ui::ErrTooManyInstances => "Можно описать не больше {max}.",
        Ui::ErrExclusive => "Этот вариант нельзя сочетать с другими.",
        Ui::ErrRankCount => "Расставьте по порядку нужное число вариантов: {n}.",
        Ui::ErrUnknownStatement => "В этом вопросе нет такого утверждения",
        Ui::ErrIncompleteGrid => "Ответьте, пожалуйста, на каждую строку.",
        Ui::ErrConsentNeeded => "Чтобы продолжить, отметьте согласие.",
        Ui::ErrOtherMissing => "Уточните, что вы имеете в виду под «Другое».",
        Ui::ErrConstraint => "Этот ответ здесь не подходит. Проверьте его.",
        Ui::ErrInvalidSurvey => "Этот опрос сейчас не может принимать ответы.",
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn uk(key: Ui) -> &'static str {
    match key {
        Ui::AppName => "Chorus",
        Ui::OpenSurveys => "Відкриті опитування",
        Ui::NoSurveys => "Зараз немає відкритих опитувань.",
        Ui::Loading => "Завантаження…",
        Ui::Start => "Почати",
        Ui::Submit => "Надіслати",
        Ui::Sending => "Надсилання…",
        Ui::Back => "Назад",
        Ui::Required => "обов’язкове питання",
        Ui::Optional => "необов’язкове питання",
        Ui::ThankYou => "Дякуємо. Ваші відповіді отримано.",
        Ui::Stored => "Разом із ними не збережено нічого, що могло б вказати на вас.",
        Ui::AnotherSurvey => "До списку опитувань",
        Ui::FixErrors => "Деякі відповіді потребують уваги. Перевірте позначені нижче питання.",
        Ui::NetworkError => {
            "Не вдалося зв’язатися із сервером. Ваші відповіді залишилися на сторінці; спробуйте ще раз."
        }
        Ui::Language => "Мова",
        Ui::Results => "Опубліковані результати",
        Ui::PrivacyNote => {
            "Відповіді анонімні: ім’я, адреса, IP-адреса та дані пристрою не записуються. Публікуються лише узагальнені числа зі статистичним шумом, за якими неможливо виокремити відповідь однієї людини."
        }
        Ui::Next => "Далі",
        Ui::PageXOfY => "Сторінка {x} з {y}",
        Ui::LoadFailed => "Не вдалося завантажити опитування.",
        Ui::TryAgain => "Спробувати ще раз",
        Ui::ClearAnswer => "Очистити відповідь",
        Ui::OtherSpecify => "Інше (уточніть)",
        Ui::AddInstance => "Додати",
        Ui::AddAnother => "Додати ще",
        Ui::RemoveInstance => "Видалити",
        Ui::ConsentHint => "Позначте, якщо ви згодні.",
        Ui::SkipToContent => "Перейти до змісту",
        Ui::QuickExit => "Швидкий вихід",
        Ui::Review => "Переглянути відповіді",
        Ui::ReviewHeading => "Перевірте свої відповіді",
        Ui::ReviewNote => {
            "Поки що нічого не надіслано. Надішліть ці відповіді нижче або спершу змініть їх."
        }
        Ui::Change => "Змінити",
        Ui::NotAnswered => "Немає відповіді",
        Ui::Agreed => "Згоду надано",
        Ui::OptionsChanged => {
            "Ваші відповіді змінили варіанти на цій сторінці. Будь ласка, перевірте їх."
        }
        Ui::MoreQuestions => {
            "Ваші відповіді відкрили на цій сторінці нові запитання. Будь ласка, дайте відповідь і на них."
        }
        Ui::FormUnreadable => {
            "Не вдалося прочитати цю сторінку. Поверніться до списку опитувань і почніть знову."
        }
        Ui::SealTooLarge => {
            "Ваші відповіді задовгі, щоб їх зашифрувати й надіслати. Скоротіть найдовші текстові відповіді та спробуйте ще раз. Нічого не надіслано."
        }
        Ui::SealUnusable => {
            "Не вдалося зашифрувати відповіді на цьому пристрої, тому їх не надіслано. Ваші відповіді залишилися на сторінці. Повідомте про це організаторів опитування; може допомогти інший браузер."
        }
        Ui::SavedHeading => "Збережено на цьому пристрої",
        Ui::SavedNote => {
            "Зараз немає зв’язку з сервером. Ваші відповіді збережено на цьому пристрої, і їх буде надіслано автоматично, коли з’явиться зв’язок і буде відкрито цей застосунок."
        }
        Ui::WaitingToSend => "Відповіді, що чекають на надсилання: {n}",
        Ui::SendNow => "Надіслати зараз",
        Ui::QueueReceived => {
            "Збережені відповіді отримано. На цьому пристрої від них нічого не залишилося."
        }
        Ui::QueueRefused => "Сервер не прийняв відповіді, збережені на цьому пристрої:",
        Ui::RefusalSeen => "Видалити з цього пристрою",
        Ui::NoDeviceStorage => {
            "Цей браузер не може зберігати відповіді на пристрої (наприклад, у приватному вікні). Відповіді можна надіслати лише за наявності зв’язку."
        }
        Ui::MayBeDeleted => {
            "Браузер може видалити збережені відповіді, якщо на телефоні мало місця. Підключіться до мережі якнайшвидше, щоб їх було надіслано."
        }
        Ui::DeleteWaiting => "Видалити ненадіслані відповіді з цього телефона",
        Ui::DeleteWaitingConfirm => "Видалити ненадіслані відповіді? Відновити їх буде неможливо.",
        Ui::DeleteYes => "Видалити",
        Ui::Cancel => "Скасувати",
        Ui::KeepHeading => "Завершити пізніше на цьому телефоні",
        Ui::KeepNote => {
            "Можна зберегти ці відповіді на цьому телефоні під паролем, який ви оберете, і завершити пізніше. Без пароля їх не відкриє ніхто — навіть організатори опитування, тож запам'ятайте його: відновити його неможливо."
        }
        Ui::Passphrase => "Пароль (щонайменше 8 знаків)",
        Ui::PassphraseAgain => "Той самий пароль ще раз",
        Ui::KeepAnswers => "Зберегти мої відповіді на цьому телефоні",
        Ui::PassphraseShort => "Пароль має містити щонайменше 8 знаків.",
        Ui::PassphraseDiffers => "Паролі не збігаються.",
        Ui::PleaseWait => "Зачекайте…",
        Ui::KeptNote => {
            "Ваші відповіді збережено на цьому телефоні під вашим паролем; вони оновлюються в міру заповнення. Їх буде видалено, коли ви надішлете відповіді, під час швидкого виходу або кнопкою нижче."
        }
        Ui::DeleteKept => "Видалити мої відповіді з цього телефона",
        Ui::UnfinishedHeading => "Незавершені відповіді на цьому телефоні: {n}",
        Ui::UnfinishedNote => "Введіть пароль, щоб продовжити з того місця, де ви зупинилися.",
        Ui::Continue => "Продовжити",
        Ui::WrongPassphrase => "Цей пароль не відкриває відповіді, збережені на цьому телефоні.",
        Ui::KeepFailed => "Не вдалося зберегти відповіді на цьому телефоні.",
        Ui::DeleteKeptConfirm => {
            "Видалити незавершені відповіді з цього телефона? Відновити їх буде неможливо."
        }
        Ui::ErrUnknownQuestion => "У цьому опитуванні немає такого питання",
        Ui::ErrRequired => "Це обов’язкове питання.",
        Ui::ErrWrongType => "Відповідь має неправильний формат",
        Ui::ErrUnknownChoice => "Такого варіанта немає",
        Ui::ErrChoiceNotOffered => "Цей варіант не підходить до ваших попередніх відповідей",
        Ui::ErrRepeatedChoice => "Варіант обрано двічі",
        Ui::ErrBelowMin => "Введіть число, не менше ніж {min}.",
        Ui::ErrAboveMax => "Введіть число, не більше ніж {max}.",
        Ui::ErrTooLong => "Відповідь задовга: щонайбільше {max} символів.",
        Ui::ErrNotAnswerable => "Цей пункт не потребує відповіді.",
        Ui::ErrDateTooEarly => "Вкажіть дату не раніше ніж {date}.",
        Ui::ErrDateTooLate => "Вкажіть дату не пізніше ніж {date}.",
        Ui::ErrTooFewSelected => "Замало варіантів: потрібно щонайменше {min}.",
        Ui::ErrTooManySelected => "Забагато варіантів: можна щонайбільше {max}.",
        Ui::ErrTooFewInstances => "Опишіть щонайменше {min}.",
        Ui::ErrTooManyInstances => "Можна описати щонайбільше {max}.",
        Ui::ErrExclusive => "Цей варіант не можна поєднувати з іншими.",
        Ui::ErrRankCount => "Розставте за порядком потрібну кількість варіантів: {n}.",
        Ui::ErrUnknownStatement => "У цьому питанні немає такого твердження",
        Ui::ErrIncompleteGrid => "Будь ласка, дайте відповідь у кожному рядку.",
        Ui::ErrConsentNeeded => "Щоб продовжити, позначте згоду.",
        Ui::ErrOtherMissing => "Уточніть, що ви маєте на увазі під «Інше».",
        Ui::ErrConstraint => "Ця відповідь тут не підходить. Перевірте її.",
        Ui::ErrInvalidSurvey => "Це опитування зараз не може приймати відповіді.",
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn ka(key: Ui) -> &'static str {
    match key {
        Ui::AppName => "Chorus",
        Ui::OpenSurveys => "ღია გამოკითხვები",
        Ui::NoSurveys => "ამჟამად ღია გამოკითხვები არ არის.",
        Ui::Loading => "იტვირთება…",
        Ui::Start => "დაწყება",
        Ui::Submit => "გაგზავნა",
        Ui::Sending => "იგზავნება…",
        Ui::Back => "უკან",
        Ui::Required => "სავალდებულო კითხვა",
        Ui::Optional => "არასავალდებულო კითხვა",
        Ui::ThankYou => "გმადლობთ. თქვენი პასუხები მიღებულია.",
        Ui::Stored => "მათთან ერთად არაფერი შენახულა, რაც თქვენზე მიუთითებდა.",
        Ui::AnotherSurvey => "გამოკითხვების სიაში დაბრუნება",
        Ui::FixErrors => {
            "ზოგიერთ პასუხს ყურადღება სჭირდება. გადაამოწმეთ ქვემოთ მონიშნული კითხვები."
        }
        Ui::NetworkError => {
            "სერვერთან დაკავშირება ვერ მოხერხდა. თქვენი პასუხები გვერდზე დარჩა; სცადეთ ხელახლა."
        }
        Ui::Language => "ენა",
        Ui::Results => "გამოქვეყნებული შედეგები",
        Ui::PrivacyNote => {
            "პასუხები ანონიმურია: სახელი, მისამართი, IP-მისამართი და მოწყობილობის მონაცემები არ ინახება. ქვეყნდება მხოლოდ განზოგადებული რიცხვები სტატისტიკური ხმაურით, რომლებითაც ერთი ადამიანის პასუხის გამორჩევა შეუძლებელია."
        }
        Ui::Next => "შემდეგი",
        Ui::PageXOfY => "გვერდი {x} / {y}",
        Ui::LoadFailed => "გამოკითხვების ჩატვირთვა ვერ მოხერხდა.",
        Ui::TryAgain => "ხელახლა ცდა",
        Ui::ClearAnswer => "პასუხის წაშლა",
        Ui::OtherSpecify => "სხვა (მიუთითეთ)",
        Ui::AddInstance => "დამატება",
        Ui::AddAnother => "კიდევ დამატება",
        Ui::RemoveInstance => "წაშლა",
        Ui::ConsentHint => "მონიშნეთ, თუ თანახმა ხართ.",
        Ui::SkipToContent => "შინაარსზე გადასვლა",
        Ui::QuickExit => "სწრაფი გასვლა",
        Ui::Review => "პასუხების გადახედვა",
        Ui::ReviewHeading => "შეამოწმეთ თქვენი პასუხები",
        Ui::ReviewNote => {
            "ჯერ არაფერი გაგზავნილა. გააგზავნეთ ეს პასუხები ქვემოთ, ან ჯერ შეცვალეთ ისინი."
        }
        Ui::Change => "შეცვლა",
        Ui::NotAnswered => "პასუხი არ არის",
        Ui::Agreed => "თანხმობა მიცემულია",
        Ui::OptionsChanged => {
            "თქვენმა პასუხებმა ამ გვერდზე ვარიანტები შეცვალა. გთხოვთ, გადაამოწმოთ ისინი."
        }
        Ui::MoreQuestions => {
            "თქვენმა პასუხებმა ამ გვერდზე ახალი კითხვები გახსნა. გთხოვთ, მათაც უპასუხოთ."
        }
        Ui::FormUnreadable => {
            "ამ გვერდის წაკითხვა ვერ მოხერხდა. დაბრუნდით გამოკითხვების სიაში და დაიწყეთ თავიდან."
        }
        Ui::SealTooLarge => {
            "თქვენი პასუხები ძალიან გრძელია დასაშიფრად და გასაგზავნად. შეამოკლეთ ყველაზე გრძელი წერილობითი პასუხები და სცადეთ ხელახლა. არაფერი გაგზავნილა."
        }
        Ui::SealUnusable => {
            "პასუხების დაშიფვრა ამ მოწყობილობაზე ვერ მოხერხდა, ამიტომ ისინი არ გაიგზავნა. თქვენი პასუხები ისევ აქ არის. გთხოვთ, აცნობოთ გამოკითხვის ორგანიზატორებს; შესაძლოა, სხვა ბრაუზერი დაგეხმაროთ."
        }
        Ui::SavedHeading => "შენახულია ამ მოწყობილობაზე",
        Ui::SavedNote => {
            "სერვერთან კავშირი ახლა არ არის. თქვენი პასუხები შენახულია ამ მოწყობილობაზე და ავტომატურად გაიგზავნება, როცა კავშირი აღდგება და ეს აპლიკაცია გახსნილი იქნება."
        }
        Ui::WaitingToSend => "გასაგზავნად მომლოდინე პასუხები: {n}",
        Ui::SendNow => "ახლავე გაგზავნა",
        Ui::QueueReceived => "შენახული პასუხები მიღებულია. ამ მოწყობილობაზე მათგან არაფერი დარჩა.",
        Ui::QueueRefused => "სერვერმა არ მიიღო ამ მოწყობილობაზე შენახული პასუხები:",
        Ui::RefusalSeen => "ამ მოწყობილობიდან წაშლა",
        Ui::NoDeviceStorage => {
            "ეს ბრაუზერი ვერ ინახავს პასუხებს მოწყობილობაზე (მაგალითად, პირად ფანჯარაში). პასუხების გაგზავნა მხოლოდ კავშირის არსებობისას შეიძლება."
        }
        Ui::MayBeDeleted => {
            "ბრაუზერმა შეიძლება წაშალოს შენახული პასუხები, თუ ტელეფონზე ადგილი ცოტაა. დაუკავშირდით ქსელს რაც შეიძლება მალე, რომ ისინი გაიგზავნოს."
        }
        Ui::DeleteWaiting => "გაუგზავნელი პასუხების წაშლა ამ ტელეფონიდან",
        Ui::DeleteWaitingConfirm => {
            "წავშალოთ გაუგზავნელი პასუხები? მათი აღდგენა შეუძლებელი იქნება."
        }
        Ui::DeleteYes => "წაშლა",
        Ui::Cancel => "გაუქმება",
        Ui::KeepHeading => "დასრულება მოგვიანებით ამ ტელეფონზე",
        Ui::KeepNote => {
            "შეგიძლიათ ეს პასუხები ამ ტელეფონზე შეინახოთ თქვენ მიერ არჩეული პაროლით დაბლოკილი და მოგვიანებით დაასრულოთ. პაროლის გარეშე მათ ვერავინ გახსნის — ვერც გამოკითხვის ორგანიზატორები, ამიტომ დაიმახსოვრეთ: მისი აღდგენა შეუძლებელია."
        }
        Ui::Passphrase => "პაროლი (მინიმუმ 8 სიმბოლო)",
        Ui::PassphraseAgain => "იგივე პაროლი ხელახლა",
        Ui::KeepAnswers => "ჩემი პასუხების შენახვა ამ ტელეფონზე",
        Ui::PassphraseShort => "პაროლი მინიმუმ 8 სიმბოლოსგან უნდა შედგებოდეს.",
        Ui::PassphraseDiffers => "პაროლები არ ემთხვევა.",
        Ui::PleaseWait => "გთხოვთ, მოიცადოთ…",
        Ui::KeptNote => {
            "თქვენი პასუხები ინახება ამ ტელეფონზე, დაბლოკილია თქვენი პაროლით და შევსებისას ახლდება. ისინი წაიშლება, როცა პასუხებს გაგზავნით, სწრაფი გასვლისას ან ქვემოთ მოცემული ღილაკით."
        }
        Ui::DeleteKept => "ჩემი პასუხების წაშლა ამ ტელეფონიდან",
        Ui::UnfinishedHeading => "დაუსრულებელი პასუხები ამ ტელეფონზე: {n}",
        Ui::UnfinishedNote => "შეიყვანეთ პაროლი, რომ გააგრძელოთ იქიდან, სადაც გაჩერდით.",
        Ui::Continue => "გაგრძელება",
        Ui::WrongPassphrase => "ეს პაროლი ვერ ხსნის ამ ტელეფონზე შენახულ პასუხებს.",
        Ui::KeepFailed => "პასუხების შენახვა ამ ტელეფონზე ვერ მოხერხდა.",
        Ui::DeleteKeptConfirm => {
            "წავშალოთ დაუსრულებელი პასუხები ამ ტელეფონიდან? მათი აღდგენა შეუძლებელი იქნება."
        }
        Ui::ErrUnknownQuestion => "ამ გამოკითხვაში ასეთი კითხვა არ არის",
        Ui::ErrRequired => "ეს კითხვა სავალდებულოა.",
        Ui::ErrWrongType => "პასუხის ფორმატი არასწორია",
        Ui::ErrUnknownChoice => "ასეთი ვარიანტი არ არსებობს",
        Ui::ErrChoiceNotOffered => "ეს ვარიანტი არ შეესაბამება თქვენს წინა პასუხებს",
        Ui::ErrRepeatedChoice => "ვარიანტი ორჯერ არის არჩეული",
        Ui::ErrBelowMin => "რიცხვი უნდა იყოს მინიმუმ {min}.",
        Ui::ErrAboveMax => "რიცხვი უნდა იყოს მაქსიმუმ {max}.",
        Ui::ErrTooLong => "პასუხი ძალიან გრძელია: მაქსიმუმ {max} სიმბოლო.",
        Ui::ErrNotAnswerable => "ეს პუნქტი პასუხს არ საჭიროებს.",
        Ui::ErrDateTooEarly => "თარიღი ძალიან ადრეულია. ყველაზე ადრეული: {date}.",
        Ui::ErrDateTooLate => "თარიღი ძალიან გვიანია. ყველაზე გვიანი: {date}.",
        Ui::ErrTooFewSelected => "აირჩიეთ მინიმუმ {min} ვარიანტი.",
        Ui::ErrTooManySelected => "აირჩიეთ მაქსიმუმ {max} ვარიანტი.",
        Ui::ErrTooFewInstances => "აღწერეთ მინიმუმ {min}.",
        Ui::ErrTooManyInstances => "შეიძლება აღწეროთ მაქსიმუმ {max}.",
        Ui::ErrExclusive => "ამ ვარიანტის სხვებთან შეთავსება შეუძლებელია.",
        Ui::ErrRankCount => "დაალაგეთ ზუსტად {n} ვარიანტი.",
        Ui::ErrUnknownStatement => "ამ კითხვაში ასეთი დებულება არ არის",
        Ui::ErrIncompleteGrid => "გთხოვთ, უპასუხოთ ყველა სტრიქონს.",
        Ui::ErrConsentNeeded => "გასაგრძელებლად მონიშნეთ თანხმობა.",
        Ui::ErrOtherMissing => "დააზუსტეთ, რას გულისხმობთ „სხვაში“.",
        Ui::ErrConstraint => "ეს პასუხი აქ არ გამოდგება. გადაამოწმეთ.",
        Ui::ErrInvalidSurvey => "ამ გამოკითხვას ახლა პასუხების მიღება არ შეუძლია.",
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn kk(key: Ui) -> &'static str {
    match key {
        Ui::AppName => "Chorus",
        Ui::OpenSurveys => "Ашық сауалнамалар",
        Ui::NoSurveys => "Қазір ашық сауалнамалар жоқ.",
        Ui::Loading => "Жүктелуде…",
        Ui::Start => "Бастау",
        Ui::Submit => "Жіберу",
        Ui::Sending => "Жіберілуде…",
        Ui::Back => "Артқа",
        Ui::Required => "міндетті сұрақ",
        Ui::Optional => "міндетті емес сұрақ",
        Ui::ThankYou => "Рақмет. Жауаптарыңыз қабылданды.",
        Ui::Stored => "Олармен бірге сізді анықтауға болатын ештеңе сақталған жоқ.",
        Ui::AnotherSurvey => "Сауалнамалар тізіміне оралу",
        Ui::FixErrors => {
            "Кейбір жауаптарға назар аудару керек. Төменде белгіленген сұрақтарды тексеріңіз."
        }
        Ui::NetworkError => {
            "Серверге қосылу мүмкін болмады. Жауаптарыңыз бетте сақталды; қайтадан көріңіз."
        }
        Ui::Language => "Тіл",
        Ui::Results => "Жарияланған нәтижелер",
        Ui::PrivacyNote => {
            "Жауаптар анонимді: аты-жөн, мекенжай, IP-мекенжай және құрылғы деректері жазылмайды. Тек статистикалық шу қосылған жинақталған сандар жарияланады, олар бойынша бір адамның жауабын бөліп алу мүмкін емес."
        }
        Ui::Next => "Келесі",
        Ui::PageXOfY => "Бет {x} / {y}",
        Ui::LoadFailed => "Сауалнамаларды жүктеу мүмкін болмады.",
        Ui::TryAgain => "Қайталап көру",
        Ui::ClearAnswer => "Жауапты өшіру",
        Ui::OtherSpecify => "Басқа (нақтылаңыз)",
        Ui::AddInstance => "Қосу",
        Ui::AddAnother => "Тағы қосу",
        Ui::RemoveInstance => "Жою",
        Ui::ConsentHint => "Келіссеңіз, белгілеңіз.",
        Ui::SkipToContent => "Мазмұнға өту",
        Ui::QuickExit => "Жылдам шығу",
        Ui::Review => "Жауаптарды тексеру",
        Ui::ReviewHeading => "Жауаптарыңызды тексеріңіз",
        Ui::ReviewNote => {
            "Әзірге ештеңе жіберілген жоқ. Бұл жауаптарды төменде жіберіңіз немесе алдымен өзгертіңіз."
        }
        Ui::Change => "Өзгерту",
        Ui::NotAnswered => "Жауап жоқ",
        Ui::Agreed => "Келісім берілді",
        Ui::OptionsChanged => "Жауаптарыңыз осы беттегі нұсқаларды өзгертті. Оларды тексеріңіз.",
        Ui::MoreQuestions => "Жауаптарыңыз осы бетте жаңа сұрақтар ашты. Оларға да жауап беріңіз.",
        Ui::FormUnreadable => {
            "Бұл бетті оқу мүмкін болмады. Сауалнамалар тізіміне оралып, қайта бастаңыз."
        }
        Ui::SealTooLarge => {
            "Жауаптарыңыз шифрлап жіберу үшін тым ұзын. Ең ұзын мәтіндік жауаптарыңызды қысқартып, қайталап көріңіз. Ештеңе жіберілген жоқ."
        }
        Ui::SealUnusable => {
            "Жауаптарды бұл құрылғыда шифрлау мүмкін болмады, сондықтан олар жіберілген жоқ. Жауаптарыңыз бетте сақталды. Бұл туралы сауалнаманы ұйымдастырушыларға хабарлаңыз; басқа браузер көмектесуі мүмкін."
        }
        Ui::SavedHeading => "Осы құрылғыда сақталды",
        Ui::SavedNote => {
            "Қазір сервермен байланыс жоқ. Жауаптарыңыз осы құрылғыда сақталды және байланыс пайда болып, осы қолданба ашық болғанда автоматты түрде жіберіледі."
        }
        Ui::WaitingToSend => "Жіберуді күтіп тұрған жауаптар: {n}",
        Ui::SendNow => "Қазір жіберу",
        Ui::QueueReceived => "Сақталған жауаптар алынды. Осы құрылғыда олардан ештеңе қалған жоқ.",
        Ui::QueueRefused => "Сервер осы құрылғыда сақталған жауаптарды қабылдамады:",
        Ui::RefusalSeen => "Осы құрылғыдан жою",
        Ui::NoDeviceStorage => {
            "Бұл браузер жауаптарды құрылғыда сақтай алмайды (мысалы, жеке терезеде). Жауаптарды тек байланыс болғанда жіберуге болады."
        }
        Ui::MayBeDeleted => {
            "Телефонда орын аз болса, браузер сақталған жауаптарды жоюы мүмкін. Олар жіберілуі үшін желіге мүмкіндігінше тезірек қосылыңыз."
        }
        Ui::DeleteWaiting => "Жіберілмеген жауаптарды осы телефоннан жою",
        Ui::DeleteWaitingConfirm => {
            "Жіберілмеген жауаптар жойылсын ба? Оларды қалпына келтіру мүмкін болмайды."
        }
        Ui::DeleteYes => "Жою",
        Ui::Cancel => "Бас тарту",
        Ui::KeepHeading => "Кейін осы телефонда аяқтау",
        Ui::KeepNote => {
            "Бұл жауаптарды өзіңіз таңдаған құпиясөзбен құлыптап, осы телефонда сақтап, кейін аяқтауға болады. Құпиясөзсіз оларды ешкім аша алмайды — тіпті сауалнаманы ұйымдастырушылар да, сондықтан оны есте сақтаңыз: оны қалпына келтіру мүмкін емес."
        }
        Ui::Passphrase => "Құпиясөз (кемінде 8 таңба)",
        Ui::PassphraseAgain => "Сол құпиясөзді қайта енгізіңіз",
        Ui::KeepAnswers => "Жауаптарымды осы телефонда сақтау",
        Ui::PassphraseShort => "Құпиясөзде кемінде 8 таңба болуы керек.",
        Ui::PassphraseDiffers => "Құпиясөздер сәйкес келмейді.",
        Ui::PleaseWait => "Күте тұрыңыз…",
        Ui::KeptNote => {
            "Жауаптарыңыз осы телефонда құпиясөзіңізбен құлыпталып сақталады және толтырған сайын жаңартылады. Олар жауаптарды жібергенде, жылдам шыққанда немесе төмендегі түймемен жойылады."
        }
        Ui::DeleteKept => "Жауаптарымды осы телефоннан жою",
        Ui::UnfinishedHeading => "Осы телефондағы аяқталмаған жауаптар: {n}",
        Ui::UnfinishedNote => "Тоқтаған жерден жалғастыру үшін құпиясөзді енгізіңіз.",
        Ui::Continue => "Жалғастыру",
        Ui::WrongPassphrase => "Бұл құпиясөз осы телефонда сақталған жауаптарды ашпайды.",
        Ui::KeepFailed => "Жауаптарды осы телефонда сақтау мүмкін болмады.",
        Ui::DeleteKeptConfirm => {
            "Аяқталмаған жауаптар осы телефоннан жойылсын ба? Оларды қалпына келтіру мүмкін болмайды."
        }
        Ui::ErrUnknownQuestion => "Бұл сауалнамада мұндай сұрақ жоқ",
        Ui::ErrRequired => "Бұл міндетті сұрақ.",
        Ui::ErrWrongType => "Жауаптың пішімі дұрыс емес",
        Ui::ErrUnknownChoice => "Мұндай нұсқа жоқ",
        Ui::ErrChoiceNotOffered => "Бұл нұсқа алдыңғы жауаптарыңызға сәйкес келмейді",
        Ui::ErrRepeatedChoice => "Нұсқа екі рет таңдалған",
        Ui::ErrBelowMin => "Сан тым кіші. Ең кіші мән: {min}.",
        Ui::ErrAboveMax => "Сан тым үлкен. Ең үлкен мән: {max}.",
        Ui::ErrTooLong => "Жауап тым ұзын (ең көбі {max} таңба).",
        Ui::ErrNotAnswerable => "Бұл тармаққа жауап қажет емес.",
        Ui::ErrDateTooEarly => "Күн тым ерте. Ең ерте күн: {date}.",
        Ui::ErrDateTooLate => "Күн тым кеш. Ең кеш күн: {date}.",
        Ui::ErrTooFewSelected => "Нұсқалар тым аз. Кемінде: {min}.",
        Ui::ErrTooManySelected => "Нұсқалар тым көп. Ең көбі: {max}.",
        Ui::ErrTooFewInstances => "Кемінде {min} сипаттаңыз.",
        Ui::ErrTooManyInstances => "Ең көбі {max} сипаттауға болады.",
        Ui::ErrExclusive => "Бұл нұсқаны басқалармен біріктіруге болмайды.",
        Ui::ErrRankCount => "Нұсқаларды ретімен орналастырыңыз, саны дәл: {n}.",
        Ui::ErrUnknownStatement => "Бұл сұрақта мұндай тұжырым жоқ",
        Ui::ErrIncompleteGrid => "Әр жолға жауап беріңіз.",
        Ui::ErrConsentNeeded => "Жалғастыру үшін келісіміңізді белгілеңіз.",
        Ui::ErrOtherMissing => "«Басқа» нұсқасын нақтылаңыз.",
        Ui::ErrConstraint => "Бұл жауап мұнда сәйкес келмейді. Тексеріп шығыңыз.",
        Ui::ErrInvalidSurvey => "Бұл сауалнама қазір жауап қабылдай алмайды.",
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn ky(key: Ui) -> &'static str {
    match key {
        Ui::AppName => "Chorus",
        Ui::OpenSurveys => "Ачык сурамжылоолор",
        Ui::NoSurveys => "Азыр ачык сурамжылоолор жок.",
        Ui::Loading => "Жүктөлүүдө…",
        Ui::Start => "Баштоо",
        Ui::Submit => "Жөнөтүү",
        Ui::Sending => "Жөнөтүлүүдө…",
        Ui::Back => "Артка",
        Ui::Required => "милдеттүү суроо",
        Ui::Optional => "милдеттүү эмес суроо",
        Ui::ThankYou => "Рахмат. Жоопторуңуз кабыл алынды.",
        Ui::Stored => "Алар менен бирге сизди аныктай турган эч нерсе сакталган жок.",
        Ui::AnotherSurvey => "Сурамжылоолордун тизмесине кайтуу",
        Ui::FixErrors => {
            "Айрым жоопторго көңүл буруу керек. Төмөндө белгиленген суроолорду текшериңиз."
        }
        Ui::NetworkError => {
            "Сервер менен байланышуу мүмкүн болгон жок. Жоопторуңуз баракта калды; кайра аракет кылыңыз."
        }
        Ui::Language => "Тил",
        Ui::Results => "Жарыяланган жыйынтыктар",
        Ui::PrivacyNote => {
            "Жооптор анонимдүү: аты-жөнү, дареги, IP-дареги жана түзмөктүн маалыматтары жазылбайт. Статистикалык ызы-чуу кошулган жалпыланган сандар гана жарыяланат, алар боюнча бир адамдын жообун бөлүп алуу мүмкүн эмес."
        }
        Ui::Next => "Кийинки",
        Ui::PageXOfY => "Барак {x} / {y}",
        Ui::LoadFailed => "Сурамжылоолорду жүктөө мүмкүн болгон жок.",
        Ui::TryAgain => "Кайра аракет кылуу",
        Ui::ClearAnswer => "Жоопту тазалоо",
        Ui::OtherSpecify => "Башка (тактаңыз)",
        Ui::AddInstance => "Кошуу",
        Ui::AddAnother => "Дагы кошуу",
        Ui::RemoveInstance => "Өчүрүү",
        Ui::ConsentHint => "Макул болсоңуз, белгилеңиз.",
        Ui::SkipToContent => "Мазмунга өтүү",
        Ui::QuickExit => "Тез чыгуу",
        Ui::Review => "Жоопторду текшерүү",
        Ui::ReviewHeading => "Жоопторуңузду текшериңиз",
        Ui::ReviewNote => {
            "Азырынча эч нерсе жөнөтүлгөн жок. Бул жоопторду төмөндө жөнөтүңүз же адегенде өзгөртүңүз."
        }
        Ui::Change => "Өзгөртүү",
        Ui::NotAnswered => "Жооп жок",
        Ui::Agreed => "Макулдук берилди",
        Ui::OptionsChanged => "Жоопторуңуз бул беттеги варианттарды өзгөрттү. Аларды текшериңиз.",
        Ui::MoreQuestions => "Жоопторуңуз бул бетте жаңы суроолорду ачты. Аларга да жооп бериңиз.",
        Ui::FormUnreadable => {
            "Бул баракты окуу мүмкүн болбоду. Сурамжылоолордун тизмесине кайтып, кайра баштаңыз."
        }
        Ui::SealTooLarge => {
            "Жоопторуңуз шифрлеп жөнөтүү үчүн өтө узун. Эң узун тексттик жоопторуңузду кыскартып, кайра аракет кылыңыз. Эч нерсе жөнөтүлгөн жок."
        }
        Ui::SealUnusable => {
            "Жоопторду бул түзмөктө шифрлөө мүмкүн болбоду, ошондуктан алар жөнөтүлгөн жок. Жоопторуңуз бетте сакталды. Бул тууралуу сурамжылоону уюштуруучуларга кабарлаңыз; башка браузер жардам бериши мүмкүн."
        }
        Ui::SavedHeading => "Ушул түзмөктө сакталды",
        Ui::SavedNote => {
            "Азыр сервер менен байланыш жок. Жоопторуңуз ушул түзмөктө сакталды жана байланыш пайда болуп, ушул колдонмо ачык турганда автоматтык түрдө жөнөтүлөт."
        }
        Ui::WaitingToSend => "Жөнөтүлүүнү күтүп жаткан жооптор: {n}",
        Ui::SendNow => "Азыр жөнөтүү",
        Ui::QueueReceived => "Сакталган жооптор алынды. Ушул түзмөктө алардан эч нерсе калган жок.",
        Ui::QueueRefused => "Сервер ушул түзмөктө сакталган жоопторду кабыл алган жок:",
        Ui::RefusalSeen => "Ушул түзмөктөн өчүрүү",
        Ui::NoDeviceStorage => {
            "Бул браузер жоопторду түзмөктө сактай албайт (мисалы, жеке терезеде). Жоопторду байланыш болгондо гана жөнөтүүгө болот."
        }
        Ui::MayBeDeleted => {
            "Телефондо орун аз болсо, браузер сакталган жоопторду өчүрүп салышы мүмкүн. Алар жөнөтүлүшү үчүн тармакка мүмкүн болушунча тезирээк кошулуңуз."
        }
        Ui::DeleteWaiting => "Жөнөтүлбөгөн жоопторду ушул телефондон өчүрүү",
        Ui::DeleteWaitingConfirm => {
            "Жөнөтүлбөгөн жооптор өчүрүлсүнбү? Аларды калыбына келтирүү мүмкүн болбойт."
        }
        Ui::DeleteYes => "Өчүрүү",
        Ui::Cancel => "Жокко чыгаруу",
        Ui::KeepHeading => "Кийин ушул телефондо бүтүрүү",
        Ui::KeepNote => {
            "Бул жоопторду өзүңүз тандаган сырсөз менен кулпулап, ушул телефондо сактап, кийин бүтүрсөңүз болот. Сырсөзсүз аларды эч ким ача албайт — сурамжылоону уюштуруучулар да, ошондуктан аны эсиңизде сактаңыз: аны калыбына келтирүү мүмкүн эмес."
        }
        Ui::Passphrase => "Сырсөз (кеминде 8 белги)",
        Ui::PassphraseAgain => "Ошол эле сырсөздү кайра киргизиңиз",
        Ui::KeepAnswers => "Жоопторумду ушул телефондо сактоо",
        Ui::PassphraseShort => "Сырсөздө кеминде 8 белги болушу керек.",
        Ui::PassphraseDiffers => "Сырсөздөр дал келбейт.",
        Ui::PleaseWait => "Күтө туруңуз…",
        Ui::KeptNote => {
            "Жоопторуңуз ушул телефондо сырсөзүңүз менен кулпуланып сакталат жана толтурган сайын жаңыланат. Алар жоопторду жөнөткөндө, тез чыкканда же төмөнкү баскыч менен өчүрүлөт."
        }
        Ui::DeleteKept => "Жоопторумду ушул телефондон өчүрүү",
        Ui::UnfinishedHeading => "Ушул телефондогу бүтпөгөн жооптор: {n}",
        Ui::UnfinishedNote => "Токтогон жериңизден улантуу үчүн сырсөздү киргизиңиз.",
        Ui::Continue => "Улантуу",
        Ui::WrongPassphrase => "Бул сырсөз ушул телефондо сакталган жоопторду ачпайды.",
        Ui::KeepFailed => "Жоопторду ушул телефондо сактоо мүмкүн болбоду.",
        Ui::DeleteKeptConfirm => {
            "Бүтпөгөн жооптор ушул телефондон өчүрүлсүнбү? Аларды калыбына келтирүү мүмкүн болбойт."
        }
        Ui::ErrUnknownQuestion => "Бул сурамжылоодо мындай суроо жок",
        Ui::ErrRequired => "Бул милдеттүү суроо.",
        Ui::ErrWrongType => "Жооптун форматы туура эмес",
        Ui::ErrUnknownChoice => "Мындай вариант жок",
        Ui::ErrChoiceNotOffered => "Бул вариант мурунку жоопторуңузга туура келбейт",
        Ui::ErrRepeatedChoice => "Вариант эки жолу тандалды",
        Ui::ErrBelowMin => "Сан өтө кичине. Эң кичине маани: {min}.",
        Ui::ErrAboveMax => "Сан өтө чоң. Эң чоң маани: {max}.",
        Ui::ErrTooLong => "Жооп өтө узун (эң көп дегенде {max} белги).",
        Ui::ErrNotAnswerable => "Бул пунктка жооп талап кылынбайт.",
        Ui::ErrDateTooEarly => "Дата өтө эрте. Эң эрте дата: {date}.",
        Ui::ErrDateTooLate => "Дата өтө кеч. Эң кеч дата: {date}.",
        Ui::ErrTooFewSelected => "Варианттар өтө аз. Жок дегенде: {min}.",
        Ui::ErrTooManySelected => "Варианттар өтө көп. Эң көп дегенде: {max}.",
        Ui::ErrTooFewInstances => "Жок дегенде {min} сүрөттөңүз.",
        Ui::ErrTooManyInstances => "Эң көп дегенде {max} сүрөттөөгө болот.",
        Ui::ErrExclusive => "Бул вариантты башкалар менен бириктирүүгө болбойт.",
        Ui::ErrRankCount => "Варианттарды иретке коюңуз, саны так: {n}.",
        Ui::ErrUnknownStatement => "Бул суроодо мындай пикир жок",
        Ui::ErrIncompleteGrid => "Ар бир сапка жооп бериңиз.",
        Ui::ErrConsentNeeded => "Улантуу үчүн макулдугуңузду белгилеңиз.",
        Ui::ErrOtherMissing => "«Башка» вариантын тактаңыз.",
        Ui::ErrConstraint => "Бул жооп бул жерге туура келбейт. Текшерип көрүңүз.",
        Ui::ErrInvalidSurvey => "Бул сурамжылоо азыр жоопторду кабыл ала албайт.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[Ui] = Ui::ALL;

    #[test]
    fn every_language_translates_every_phrase_with_the_same_placeholders() {
        assert_eq!(UI_LANGUAGES.len(), 6);
        for (lang, _) in UI_LANGUAGES {
            for &key in ALL {
                let text = ui(lang, key);
                assert!(!text.trim().is_empty(), "{lang} {key:?}");
                for ph in ["{min}", "{max}", "{n}", "{x}", "{y}", "{date}"] {
                    assert_eq!(
                        text.matches(ph).count(),
                        en(key).matches(ph).count(),
                        "{lang} {key:?} {ph}"
                    );
                }
                if *lang != "en" && key != Ui::AppName {
                    assert_ne!(text, en(key), "{lang} {key:?} is untranslated");
                }
            }
        }
    }

    /// Each translation is written in its own script (so a copy-paste from
    /// the wrong language, or a transliteration, fails).
    #[test]
    fn each_language_is_in_its_script() {
        let georgian = |c: char| ('\u{10D0}'..='\u{10FF}').contains(&c);
        let cyrillic = |c: char| ('\u{0400}'..='\u{04FF}').contains(&c);
        // Letters only these languages use among ours.
        let marks: &[(&str, &[char])] = &[
            ("uk", &['і', 'ї', 'є', 'ґ']),
            ("kk", &['ә', 'ғ', 'қ', 'ң', 'ұ', 'ү', 'һ', 'і', 'ө']),
            ("ky", &['ң', 'ө', 'ү']),
        ];
        for (lang, name) in UI_LANGUAGES {
            let script: &dyn Fn(char) -> bool = match *lang {
                "ka" => &georgian,
                "en" => &|c: char| c.is_ascii_alphabetic(),
                _ => &cyrillic,
            };
            assert!(name.chars().any(script), "{lang} name {name}");
            for &key in ALL.iter().filter(|&&k| k != Ui::AppName) {
                let text = ui(lang, key);
                assert!(text.chars().any(script), "{lang} {key:?}: {text}");
                if *lang == "ka" {
                    assert!(!text.chars().any(cyrillic), "{lang} {key:?}: {text}");
                }
            }
            if let Some((_, letters)) = marks.iter().find(|(l, _)| l == lang) {
                let all: String = ALL.iter().map(|&k| ui(lang, k)).collect();
                assert!(all.chars().any(|c| letters.contains(&c)), "{lang}");
            }
        }
    }

    #[test]
    fn the_words_sent_to_the_browser_install_as_they_were() {
        let sent: Vec<String> = words("kk").into_iter().map(String::from).collect();
        assert_eq!(sent.len(), Ui::ALL.len());
        assert_eq!(sent[Ui::Submit as usize], ui("kk", Ui::Submit));
        assert_eq!(install("kk", sent.clone()), Ok("kk"));
        let table = installed("kk").expect("installed");
        assert_eq!(table, sent.as_slice());
        for &key in Ui::ALL {
            assert_eq!(table[key as usize], ui("kk", key), "{key:?}");
        }
        // A second table for the same language is not taken.
        let mut other = sent.clone();
        other[0] = "Хор".into();
        assert_eq!(install("kk", other), Ok("kk"));
        assert_eq!(installed("kk").expect("installed")[0], sent[0]);
        assert!(has_words("kk") && has_words("en") && !has_words("xx"));
    }

    #[test]
    fn a_wrong_table_of_words_is_refused_and_changes_nothing() {
        let good: Vec<String> = words("ky").into_iter().map(String::from).collect();
        assert_eq!(
            install("xx", good.clone()),
            Err(WordsError::UnknownLanguage("xx".into()))
        );
        assert_eq!(
            install("ky", good[1..].to_vec()),
            Err(WordsError::WrongCount {
                found: Ui::ALL.len() - 1,
                expected: Ui::ALL.len()
            })
        );
        let mut blank = good;
        blank[Ui::Next as usize] = " ".into();
        assert_eq!(install("ky", blank), Err(WordsError::Empty(Ui::Next)));
        assert_eq!(installed("ky"), None);
        assert_eq!(installed("xx"), None);
    }

    #[test]
    fn every_phrase_is_listed_once_in_declaration_order() {
        for (i, &key) in Ui::ALL.iter().enumerate() {
            assert_eq!(key as usize, i, "{key:?}");
        }
        assert_eq!(Ui::ALL.last(), Some(&Ui::ErrInvalidSurvey));
    }

    #[test]
    fn unknown_language_falls_back_to_english() {
        assert_eq!(ui("xx", Ui::Submit), "Submit");
        assert_eq!(ui("ru", Ui::Submit), "Отправить");
        assert_eq!(ui("ka", Ui::Submit), "გაგზავნა");
    }
}
