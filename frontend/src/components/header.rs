use surveys::i18n::{UI_LANGUAGES, Ui, ui};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub lang: &'static str,
    pub on_lang: Callback<&'static str>,
}

/// The skip link, the quick exit (the first control after it; the page's
/// `/quick-exit.js` makes it replace the page and answers Escape twice),
/// the app name and the language switch, on every screen.
#[function_component]
pub fn Header(props: &HeaderProps) -> Html {
    let buttons = UI_LANGUAGES.iter().map(|&(code, name)| {
        let on_lang = props.on_lang.clone();
        let current = code == props.lang;
        html! {
            <button
                type="button"
                class="lang"
                data-lang={code}
                lang={code}
                aria-pressed={if current { "true" } else { "false" }}
                onclick={move |_| on_lang.emit(code)}
            >
                { name }
            </button>
        }
    });
    html! {
        <>
        <a class="skip-link" href="#main">{ ui(props.lang, Ui::SkipToContent) }</a>
        <a id="quick-exit" class="quick-exit" href={crate::dom::exit_url()} rel="noreferrer">
            { ui(props.lang, Ui::QuickExit) }
        </a>
        <header class="site-header">
            <div class="wrap bar">
                <span class="brand">{ ui(props.lang, Ui::AppName) }</span>
                <nav class="langs" aria-label={ui(props.lang, Ui::Language)}>
                    { for buttons }
                </nav>
            </div>
        </header>
        </>
    }
}
