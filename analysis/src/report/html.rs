//! The report as one self-contained HTML page: no scripts, no external
//! assets, no web fonts; inline CSS and inline SVG only. Readable on a 320 px
//! phone and with a screen reader (each chart is an image with a text
//! alternative; the same numbers are in a real table beside it).

use std::fmt::Write as _;

use surveys::path_segment;

use super::{Report, Table, escape};

/// Writes to a `String`, which cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {
        let _ = write!($out, $($arg)*);
    };
}

/// The page's own words (not the survey's) in one language.
struct Words {
    results: &'static str,
    published: &'static str,
    release: &'static str,
    privacy: &'static str,
    respondents: &'static str,
    lead: &'static str,
    option: &'static str,
    count: &'static str,
    margin: &'static str,
    total: &'static str,
    mean: &'static str,
    interval: &'static str,
    answers: &'static str,
    quartiles: &'static str,
    by: &'static str,
    /// Heading suffixes for statistics other than counts and totals.
    stat_first: &'static str,
    stat_rank: &'static str,
    stat_mean: &'static str,
    stat_hist: &'static str,
    stat_quant: &'static str,
    stat_instances: &'static str,
    stat_rds: &'static str,
    share: &'static str,
    share_margin: &'static str,
    rds_note: &'static str,
    suppressed_share: &'static str,
    per_instance: &'static str,
    instances_note: &'static str,
    table_note_laplace: &'static str,
    table_note_gaussian: &'static str,
    cross_note: &'static str,
    several: &'static str,
    grid_note: &'static str,
    chart: &'static str,
    suppressed_mean: &'static str,
    method: &'static str,
    m_intro: &'static str,
    m_laplace: &'static str,
    m_gaussian: &'static str,
    m_epsilon: &'static str,
    m_margins: &'static str,
    m_post: &'static str,
    m_small: &'static str,
    m_mean: &'static str,
    m_quantiles: &'static str,
    m_rank: &'static str,
    m_instances: &'static str,
    m_rds: &'static str,
    m_never: &'static str,
    m_language: &'static str,
    cite: &'static str,
    cite_text: &'static str,
    json_link: &'static str,
    csv_link: &'static str,
}

const EN: Words = Words {
    results: "Results",
    published: "Published",
    release: "Release",
    privacy: "Privacy (ε)",
    respondents: "Respondents (with noise)",
    lead: "Every number below was computed from the answers with random noise added, so that no one's answer can be singled out. “± m” is the margin: 95% of the time the noise is no larger than m.",
    option: "Option",
    count: "Count",
    margin: "± 95% margin",
    total: "Total",
    mean: "Mean",
    interval: "95% interval",
    answers: "Answers (with noise)",
    quartiles: "Lower quartile / median / upper quartile (± approximate 95% margin)",
    by: "by",
    stat_first: "ranked first",
    stat_rank: "mean rank",
    stat_mean: "mean",
    stat_hist: "distribution",
    stat_quant: "distribution and quartiles",
    stat_instances: "number of instances",
    stat_rds: "estimated shares (respondent-driven sampling)",
    share: "Estimated share (RDS-II)",
    share_margin: "± approximate 95% margin",
    rds_note: "ε = {eps} for this table. Weighted by the inverse of reported network size (RDS-II): each person counts in proportion to 1 divided by how many people they said they know (“{degree}”, taken between {min} and {max}), because people who know more people are more likely to be recruited. The noise was added to the weighted sums; the “±” margins are approximate (simulated).",
    suppressed_share: "too few people to show",
    per_instance: "counted per “{repeat}”",
    instances_note: "These are counts of instances of “{repeat}”, not of people: one person could give up to {max} (only their first {max} are counted), so the noise is scaled up {max}-fold to hide any one person's whole contribution, and the margins are wider for it.",
    table_note_laplace: "ε = {eps} for this table; discrete Laplace noise, scale {param}; every count ± {m}.",
    table_note_gaussian: "ε = {eps} for this table (ρ = {rho} zCDP); discrete Gaussian noise, σ² = {param}; every count ± {m}.",
    cross_note: "Every cell ± {m}. Totals are sums of the cells shown.",
    several: "Several options could be chosen, so one person can be counted in several rows.",
    grid_note: "Each person answered every statement once, so a person is counted once per statement.",
    chart: "Bar chart of “{label}”, with 95% margins; the same numbers as in the table.",
    suppressed_mean: "fewer than {t} answers",
    method: "About these numbers",
    m_intro: "The numbers on this page were computed from the answers with random noise added, so that they reveal almost nothing about any one person, even to someone who knows everyone else's answers. This is called differential privacy. Which tables would be published, and how much each may reveal, was fixed in the survey file before the answers were read.",
    m_laplace: "Most noise is a whole number drawn from the discrete Laplace distribution (Canonne, Kamath and Steinke, 2020) by an exact method with a cryptographically secure random generator. Each number gets its own noise, empty categories too: small noise is the most likely, large noise is rare, and it is as often positive as negative.",
    m_gaussian: "Tables marked “discrete Gaussian” get noise from the discrete Gaussian distribution, drawn exactly in the same way. Its guarantee is stated as zero-concentrated differential privacy with ρ = ε²/2 per table; converted to the usual form it is (ε, δ)-differential privacy with ε = ρ + 2√(ρ·ln(1/δ)) at δ = 10⁻⁶, and that converted ε is what these tables are charged.",
    m_epsilon: "ε (epsilon) measures how much a release can reveal about one person: the smaller ε, the more noise and the stronger the protection. This release is charged ε = {eps}{delta}, the sum over its tables. All releases of this survey together may spend at most the survey's privacy budget; the ledger of what has been spent is public.",
    m_margins: "“± m” means: 95% of the time the noise added to that number is no larger than m, computed exactly from the noise distribution. A total's margin is that of the sum of the noise in its cells.",
    m_post: "After the noise was added, and only then, the numbers were tidied: a count that came out below zero is shown as 0, and totals are sums of the counts shown, so rows and columns add up. The machine-readable version (JSON) keeps the raw noisy values, negative ones included, for anyone who wants to re-analyse them without this tidying.",
    m_small: "A number whose noisy value is below {t} is shown as “< {t}”. The decision is made on the noisy value, never on the true one.",
    m_mean: "A mean is a noisy sum divided by a noisy count, half of the table's ε for each. Each answer was first limited to the range fixed in the survey file (never taken from the data) and rounded to a fine grid. Its 95% interval is conservative: it covers every combination of the two noises within their 97.5% margins.",
    m_quantiles: "Quartiles and the median are read from the noisy histogram shown above them (counts below zero taken as 0), interpolating linearly within a bin. Their “± m” is approximate: it was simulated by adding fresh noise of the same kind to the published histogram 400 times and recomputing them; 95% of the recomputed values were within m. Like every margin here, it covers the noise only.",
    m_rank: "A mean rank is the noisy sum of the places an option was given divided by the noisy number of people who ranked it, half of the table's ε for each; 1 is the top place. One person can change every option's sum by their own ranks, which the noise is sized for.",
    m_instances: "Some tables count instances — such as incidents, several of which one person may report — rather than people. One person can add to such a table at most the number of instances the survey allows (any beyond it are not counted), so, to protect each person as much as in the other tables, its noise is multiplied by that number: for the same ε, its margins are about that many times as wide.",
    m_rds: "Tables of estimated shares come from respondent-driven sampling, where members recruit one another: people who know many others are more likely to be reached, so each person is weighted by the inverse of their reported network size (the RDS-II estimator of Volz and Heckathorn). The network size was limited to the range fixed in the survey file, and the noise was added to each option's sum of weights, sized for the largest weight one person can carry. A share is an option's noisy weighted sum (below zero taken as 0) divided by the sum over all options. Its “±” is approximate, simulated like the quartiles' by re-noising the published sums 400 times; it covers the noise only, not the uncertainty of the sampling itself. A share is hidden when its weighted sum is below what {t} people of the smallest network size would give.",
    m_never: "Free-text answers are never published. Only the tables listed here are published.",
    m_language: "These explanations are in {ui}; the survey's own texts are in {text}.",
    cite: "How to cite",
    cite_text: "{title}. Survey “{survey}”, version {version}. Chorus release {release}, published {date}. Aggregates with differential-privacy noise, ε = {eps}{delta}.",
    json_link: "The whole release, machine-readable (JSON)",
    csv_link: "This table as CSV",
};

const RU: Words = Words {
    results: "Результаты",
    published: "Опубликовано",
    release: "Выпуск",
    privacy: "Приватность (ε)",
    respondents: "Участники (с шумом)",
    lead: "Каждое число ниже получено из ответов с добавленным случайным шумом, чтобы ничей ответ нельзя было выделить. «± m» — погрешность: в 95% случаев шум не больше m.",
    option: "Вариант",
    count: "Число",
    margin: "± погрешность 95%",
    total: "Итого",
    mean: "Среднее",
    interval: "Интервал 95%",
    answers: "Ответов (с шумом)",
    quartiles: "Нижний квартиль / медиана / верхний квартиль (± приблизительная погрешность 95%)",
    by: "по",
    stat_first: "на первом месте",
    stat_rank: "средний ранг",
    stat_mean: "среднее",
    stat_hist: "распределение",
    stat_quant: "распределение и квартили",
    stat_instances: "число записей",
    stat_rds: "оценка долей (выборка, управляемая респондентами)",
    share: "Оценка доли (RDS-II)",
    share_margin: "± приблизительная погрешность 95%",
    rds_note: "ε = {eps} для этой таблицы. Взвешено обратно пропорционально названному размеру сети знакомств (RDS-II): каждый человек учтён с весом 1, делённым на число людей, которых, по его словам, он знает («{degree}», в пределах от {min} до {max}), потому что тех, кто знает больше людей, вероятнее пригласят в опрос. Шум добавлен к взвешенным суммам; погрешности «±» приблизительны (получены моделированием).",
    suppressed_share: "слишком мало людей, чтобы показать",
    per_instance: "по записям «{repeat}»",
    instances_note: "Здесь считаются записи «{repeat}», а не люди: один человек мог указать до {max} (учитываются только первые {max}), поэтому шум увеличен в {max} раз, чтобы скрыть весь вклад любого одного человека, и погрешности соответственно больше.",
    table_note_laplace: "ε = {eps} для этой таблицы; шум дискретного распределения Лапласа, масштаб {param}; каждое число ± {m}.",
    table_note_gaussian: "ε = {eps} для этой таблицы (ρ = {rho}, zCDP); шум дискретного нормального распределения, σ² = {param}; каждое число ± {m}.",
    cross_note: "Каждая клетка ± {m}. Итоги — суммы показанных чисел.",
    several: "Можно было выбрать несколько вариантов, поэтому один человек может быть учтён в нескольких строках.",
    grid_note: "Каждый отвечал на каждое утверждение один раз, поэтому человек учтён один раз для каждого утверждения.",
    chart: "Диаграмма «{label}» с погрешностью 95%; те же числа, что в таблице.",
    suppressed_mean: "меньше {t} ответов",
    method: "Об этих числах",
    m_intro: "Числа на этой странице получены из ответов с добавленным случайным шумом, чтобы они почти ничего не раскрывали об отдельном человеке, даже тому, кто знает ответы всех остальных. Этот подход называется дифференциальной приватностью. Какие таблицы будут опубликованы и сколько может раскрыть каждая, было записано в файле опроса до того, как были прочитаны ответы.",
    m_laplace: "Шум в основном — целое число из дискретного распределения Лапласа (Canonne, Kamath, Steinke, 2020), полученное точным методом с криптографически стойким генератором случайных чисел. К каждому числу, в том числе к пустым категориям, добавлен свой шум: чаще всего небольшой, крупный — редко, в плюс и в минус одинаково часто.",
    m_gaussian: "В таблицах с пометкой «дискретное нормальное распределение» шум взят из дискретного гауссовского распределения тем же точным способом. Его гарантия — концентрированная дифференциальная приватность (zCDP) с ρ = ε²/2 для каждой таблицы; в привычной форме это (ε, δ)-дифференциальная приватность с ε = ρ + 2√(ρ·ln(1/δ)) при δ = 10⁻⁶, и именно это ε списывается с бюджета.",
    m_epsilon: "ε (эпсилон) показывает, сколько выпуск может раскрыть об одном человеке: чем меньше ε, тем больше шум и тем сильнее защита. С этого выпуска списано ε = {eps}{delta} — сумма по его таблицам. Все выпуски опроса вместе могут израсходовать не больше бюджета приватности опроса; журнал расходов открыт.",
    m_margins: "«± m» означает: в 95% случаев добавленный к числу шум не больше m; это вычислено точно по распределению шума. Погрешность итога — погрешность суммы шумов его клеток.",
    m_post: "После добавления шума, и только после, числа приведены в порядок: число меньше нуля показано как 0, а итоги — суммы показанных чисел, так что строки и столбцы сходятся. Машиночитаемая версия (JSON) хранит исходные зашумлённые значения, включая отрицательные, — для тех, кто хочет пересчитать их без этой обработки.",
    m_small: "Число, зашумлённое значение которого меньше {t}, показано как «< {t}». Это решается по зашумлённому значению, а не по истинному.",
    m_mean: "Среднее — это зашумлённая сумма, делённая на зашумлённое число ответов; на каждую уходит половина ε таблицы. Каждый ответ сначала ограничен диапазоном, заданным в файле опроса (а не взятым из данных), и округлён до мелкой сетки. Интервал 95% осторожный: он охватывает все сочетания двух шумов в пределах их погрешностей 97,5%.",
    m_quantiles: "Квартили и медиана получены из показанной выше зашумлённой гистограммы (отрицательные числа приняты за 0) с линейной интерполяцией внутри интервала. Их «± m» приблизительна: она получена моделированием — к опубликованной гистограмме 400 раз добавлен новый шум того же вида и квартили пересчитаны; 95% пересчитанных значений отличались не больше чем на m. Как и все погрешности здесь, она учитывает только шум.",
    m_rank: "Средний ранг — зашумлённая сумма мест, которые получил вариант, делённая на зашумлённое число людей, которые его выбрали; на каждую уходит половина ε таблицы; 1 — первое место. Один человек меняет суммы всех вариантов на свои места, и шум рассчитан на это.",
    m_instances: "Некоторые таблицы считают не людей, а записи — например, случаи, о нескольких из которых может сообщить один человек. Один человек может добавить в такую таблицу не больше записей, чем допускает опрос (сверх этого числа записи не учитываются), поэтому, чтобы защитить каждого так же, как в остальных таблицах, шум в ней умножен на это число: при том же ε её погрешности примерно во столько же раз больше.",
    m_rds: "Таблицы оценок долей получены по выборке, управляемой респондентами (RDS), где участники приглашают друг друга: тех, кто знает многих, найти вероятнее, поэтому вес каждого человека обратно пропорционален названному им размеру сети знакомств (оценка RDS-II Вольца и Хекаторна). Размер сети ограничен диапазоном, заданным в файле опроса, а шум добавлен к сумме весов каждого варианта и рассчитан на самый большой вес, который может иметь один человек. Доля — зашумлённая взвешенная сумма варианта (отрицательная принята за 0), делённая на сумму по всем вариантам. Её «±» приблизительна и получена моделированием, как у квартилей: к опубликованным суммам 400 раз добавлен новый шум; она учитывает только шум, а не неопределённость самой выборки. Доля скрыта, если её взвешенная сумма меньше той, что дали бы {t} человек с наименьшим размером сети.",
    m_never: "Ответы в свободной форме никогда не публикуются. Публикуются только перечисленные здесь таблицы.",
    m_language: "Эти пояснения даны на языке: {ui}; тексты опроса — на языке: {text}.",
    cite: "Как цитировать",
    cite_text: "{title}. Опрос «{survey}», версия {version}. Выпуск Chorus {release}, опубликован {date}. Сводные данные с шумом дифференциальной приватности, ε = {eps}{delta}.",
    json_link: "Весь выпуск в машиночитаемом виде (JSON)",
    csv_link: "Эта таблица в формате CSV",
};

const CSS: &str = "\
:root{color-scheme:light dark}\
body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;line-height:1.5;color:#1a1a1a;background:#fff}\
main{max-width:46rem;margin:0 auto;padding:1rem}\
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .5rem;overflow-wrap:anywhere}\
h2{font-size:1.15rem;line-height:1.3;margin:2rem 0 .5rem;overflow-wrap:anywhere}\
.meta{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;margin:0;color:#444}\
.meta div{display:flex;gap:.35rem}\
.meta dt{font-weight:600}\
.meta dd{margin:0;overflow-wrap:anywhere}\
.scroll{overflow-x:auto}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}\
caption{text-align:left;font-size:.9rem;color:#444}\
th,td{padding:.3rem .4rem;border-bottom:1px solid #ccc;vertical-align:top}\
thead th{text-align:left;font-size:.9rem}\
thead th+th,td{text-align:right}\
td{font-variant-numeric:tabular-nums;white-space:nowrap}\
tbody th{font-weight:normal;text-align:left;overflow-wrap:anywhere}\
tr.total th,tr.total td{font-weight:600}\
.chart{display:block;width:100%;max-width:30rem;height:auto;margin:.5rem 0 0}\
.chart text{font-size:13px;fill:currentColor}\
.bar{fill:#3a6ea5}\
.err{stroke:currentColor;stroke-width:1.5}\
.note{font-size:.9rem;color:#444;margin:.25rem 0}\
.cite{border-left:4px solid #3a6ea5;padding:.5rem .75rem;margin:0;background:#f3f5f8;overflow-wrap:anywhere}\
@media (prefers-color-scheme:dark){body{color:#eee;background:#121212}.meta,.note,caption{color:#bbb}th,td{border-color:#444}.bar{fill:#6f9fd8}.cite{background:#1e2228}}";

/// Chart geometry, in viewBox units (≈ CSS px on a phone).
const CHART_WIDTH: f64 = 360.0;
/// Room at the right for "1234 ± 56".
const NUMBER_ROOM: f64 = 96.0;
const ROW_HEIGHT: f64 = 40.0;
/// Longest label drawn in a chart; the table has the full text.
const CHART_LABEL_CHARS: usize = 44;

/// Language names for the note on which language the page's words are in.
fn language_name(code: &str, ui: &str) -> String {
    let name = match (ui, code) {
        ("ru", "ru") => "русский",
        ("ru", "en") => "английский",
        ("ru", "uk") => "украинский",
        ("ru", "ka") => "грузинский",
        ("ru", "kk") => "казахский",
        ("ru", "ky") => "кыргызский",
        ("ru", "uz") => "узбекский",
        ("ru", "tg") => "таджикский",
        ("ru", "ro") => "румынский",
        ("ru", "hy") => "армянский",
        ("ru", "az") => "азербайджанский",
        (_, "ru") => "Russian",
        (_, "en") => "English",
        (_, "uk") => "Ukrainian",
        (_, "ka") => "Georgian",
        (_, "kk") => "Kazakh",
        (_, "ky") => "Kyrgyz",
        (_, "uz") => "Uzbek",
        (_, "tg") => "Tajik",
        (_, "ro") => "Romanian",
        (_, "hy") => "Armenian",
        (_, "az") => "Azerbaijani",
        _ => return code.to_string(),
    };
    name.to_string()
}

/// The language of the page's own words for a page in `lang` of a survey
/// in `languages`: `lang` when it is Russian or English; otherwise Russian
/// when the survey is also in Russian (the shared language of the region),
/// else English. The collector's results pages follow the same rule.
pub fn ui_language(languages: &[String], lang: &str) -> &'static str {
    match lang {
        "ru" => "ru",
        "en" => "en",
        _ if languages.iter().any(|l| l == "ru") => "ru",
        _ => "en",
    }
}

/// The report as one self-contained HTML page in `lang`.
///
/// Survey texts are shown in `lang` when the survey has it, else in its
/// default language; the page's own words follow [`ui_language`]. All text
/// from the survey file and the release metadata is escaped.
pub fn render_html(report: &Report, lang: &str) -> String {
    let text_lang = if report.languages.iter().any(|l| l == lang) {
        lang
    } else {
        report.default_language.as_str()
    };
    let ui_lang = ui_language(&report.languages, text_lang);
    let words = if ui_lang == "ru" { &RU } else { &EN };
    // Mark the page's own words with their language when it differs from
    // the survey texts', so screen readers switch voice.
    let ui_attr = if ui_lang == text_lang {
        String::new()
    } else {
        format!(" lang=\"{}\"", escape(ui_lang))
    };
    let tr = |t: &surveys::Text| t.get(text_lang, &report.default_language).to_string();
    let title = tr(&report.title);
    let eps = report.epsilon.to_string();
    let delta = if report.delta > 0.0 {
        ", δ = 10⁻⁶".to_string()
    } else {
        String::new()
    };
    let threshold = report.small_cell_threshold.to_string();
    let cx = Cx {
        words,
        ui_attr: &ui_attr,
        tr: &tr,
        small: format!("< {threshold}"),
        threshold: &threshold,
    };

    let mut out = String::with_capacity(32 * 1024);
    w!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{} — {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        escape(text_lang),
        escape(&title),
        escape(words.results),
    );

    w!(out, "<header>\n<h1>{}</h1>\n", escape(&title));
    w!(out, "<dl class=\"meta\"{ui_attr}>");
    w!(
        out,
        "<div><dt>{}</dt><dd><time datetime=\"{d}\">{d}</time></dd></div>",
        escape(words.published),
        d = escape(&report.published),
    );
    w!(
        out,
        "<div><dt>{}</dt><dd>{}</dd></div>",
        escape(words.release),
        escape(&report.release_id)
    );
    w!(
        out,
        "<div><dt>{}</dt><dd>{}{}</dd></div>",
        escape(words.privacy),
        escape(&eps),
        escape(&delta)
    );
    // The noisy n: the first `total` table without a breakdown, if planned.
    if let Some(t) = report
        .tables
        .iter()
        .find(|t| t.statistic == "total" && t.by.is_empty())
        && let Some(c) = t.cells.first()
    {
        w!(
            out,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            escape(words.respondents),
            escape(&cx.value(c.value, c.suppressed, Some(t.margin95)))
        );
    }
    w!(out, "</dl>\n");
    w!(
        out,
        "<p class=\"note\"{ui_attr}>{}</p>\n",
        escape(words.lead)
    );
    // Relative to the page's URL, /results/{survey}/{release}: the JSON is
    // /results/{survey}/{release}.json and a table's CSV
    // /results/{survey}/{release}/{table}.csv (see collector::results).
    let release_seg = path_segment(&report.release_id);
    w!(
        out,
        "<p class=\"note\"{ui_attr}><a href=\"{}.json\" type=\"application/json\">{}</a></p>\n</header>\n",
        escape(&release_seg),
        escape(words.json_link)
    );

    for (i, table) in report.tables.iter().enumerate() {
        render_table(&mut out, i, table, &cx, &release_seg);
    }

    // The method note: only the paragraphs that apply to this release.
    w!(
        out,
        "<section id=\"method\"{ui_attr}>\n<h2>{}</h2>\n",
        escape(words.method)
    );
    let has = |f: &dyn Fn(&Table) -> bool| report.tables.iter().any(f);
    let mut paras = vec![words.m_intro];
    if has(&|t| t.mechanism == "discrete_laplace") {
        paras.push(words.m_laplace);
    }
    if has(&|t| t.mechanism == "discrete_gaussian") {
        paras.push(words.m_gaussian);
    }
    paras.extend([words.m_epsilon, words.m_margins, words.m_post]);
    if report.small_cell_threshold > 0 {
        paras.push(words.m_small);
    }
    if has(&|t| t.statistic == "mean") {
        paras.push(words.m_mean);
    }
    if has(&|t| t.statistic == "quantiles") {
        paras.push(words.m_quantiles);
    }
    if has(&|t| t.statistic == "mean_rank") {
        paras.push(words.m_rank);
    }
    if has(&|t| t.over_instances.is_some()) {
        paras.push(words.m_instances);
    }
    if has(&|t| t.rds.is_some()) {
        paras.push(words.m_rds);
    }
    paras.push(words.m_never);
    if ui_lang != text_lang {
        paras.push(words.m_language);
    }
    let ui_name = language_name(ui_lang, ui_lang);
    let text_name = language_name(text_lang, ui_lang);
    for para in paras {
        let para = fill(
            para,
            &[
                ("eps", &eps),
                ("delta", &delta),
                ("t", &threshold),
                ("ui", &ui_name),
                ("text", &text_name),
            ],
        );
        w!(out, "<p>{}</p>\n", escape(&para));
    }
    w!(out, "</section>\n");

    let cite = fill(
        words.cite_text,
        &[
            ("title", &title),
            ("survey", &report.survey_id),
            ("version", &report.survey_version.to_string()),
            ("release", &report.release_id),
            ("date", &report.published),
            ("eps", &eps),
            ("delta", &delta),
        ],
    );
    w!(
        out,
        "<section id=\"cite\">\n<h2{ui_attr}>{}</h2>\n<p class=\"cite\">{}</p>\n</section>\n",
        escape(words.cite),
        escape(&cite)
    );
    w!(out, "</main>\n</body>\n</html>\n");
    out
}

/// What every table's rendering shares.
struct Cx<'a> {
    words: &'a Words,
    ui_attr: &'a str,
    tr: &'a dyn Fn(&surveys::Text) -> String,
    small: String,
    threshold: &'a str,
}

impl Cx<'_> {
    /// A shown value: "< 10" when suppressed, else the number (± m).
    fn value(&self, v: u64, suppressed: bool, m: Option<u64>) -> String {
        match (suppressed, m) {
            (true, _) => self.small.clone(),
            (false, Some(m)) => format!("{v} ± {m}"),
            (false, None) => v.to_string(),
        }
    }
}

/// One bar of a chart: label, value, error bar [lo, hi], text at the right.
struct Bar {
    label: String,
    value: f64,
    lo: f64,
    hi: f64,
    text: String,
}

fn render_table(out: &mut String, i: usize, table: &Table, cx: &Cx<'_>, release_seg: &str) {
    let words = cx.words;
    let ui_attr = cx.ui_attr;
    let tr = cx.tr;
    let mut label = tr(&table.label);
    let stat = match table.statistic.as_str() {
        "first_choice" => Some(words.stat_first),
        "mean_rank" => Some(words.stat_rank),
        "mean" => Some(words.stat_mean),
        "histogram" => Some(words.stat_hist),
        "quantiles" => Some(words.stat_quant),
        "instances" => Some(words.stat_instances),
        "rds_proportion" => Some(words.stat_rds),
        _ => None,
    };
    if let Some(stat) = stat {
        label = format!("{label} — {stat}");
    }
    if let Some(over) = &table.over_instances
        && table.statistic != "instances"
    {
        let per = fill(words.per_instance, &[("repeat", &tr(&over.label))]);
        label = format!("{label} — {per}");
    }
    if !table.by.is_empty() {
        let by: Vec<String> = table.by.iter().map(|b| tr(&b.label)).collect();
        label = format!("{label} — {} {}", words.by, by.join(" × "));
    }
    w!(
        out,
        "<section aria-labelledby=\"t{i}\">\n<h2 id=\"t{i}\">{}</h2>\n",
        escape(&label)
    );
    let param = table
        .parts
        .last()
        .and_then(|p| p.scale.clone().or_else(|| p.sigma2.clone()))
        .unwrap_or_default();
    let rho = table.rho.map(|r| r.to_string()).unwrap_or_default();
    let template = if table.mechanism == "discrete_gaussian" {
        words.table_note_gaussian
    } else {
        words.table_note_laplace
    };
    let note = match &table.rds {
        // The noise's scale and margin are in units of the weights, which
        // mean nothing to a reader: the note says what the shares are.
        Some(rds) => fill(
            words.rds_note,
            &[
                ("eps", &table.epsilon.to_string()),
                ("degree", &tr(&rds.label)),
                ("min", &rds.degree_min.to_string()),
                ("max", &rds.degree_max.to_string()),
            ],
        ),
        None => fill(
            template,
            &[
                ("eps", &table.epsilon.to_string()),
                ("rho", &rho),
                ("param", &param),
                ("m", &table.margin95.to_string()),
            ],
        ),
    };
    w!(out, "<p class=\"note\"{ui_attr}>{}", escape(&note));
    match table.kind.as_deref() {
        Some("multiple_choice") => {
            w!(out, " {}", escape(words.several));
        }
        Some("grid") => {
            w!(out, " {}", escape(words.grid_note));
        }
        _ => {}
    }
    if let Some(over) = &table.over_instances {
        let note = fill(
            words.instances_note,
            &[("repeat", &tr(&over.label)), ("max", &over.max.to_string())],
        );
        w!(out, " {}", escape(&note));
    }
    w!(out, "</p>\n");

    let col_label = |id: &str| {
        table
            .columns
            .iter()
            .find(|c| c.id == id)
            .map(|c| tr(&c.label))
            .unwrap_or_default()
    };
    let group_label = |key: &[String]| {
        key.iter()
            .zip(&table.by)
            .map(|(id, b)| {
                b.options
                    .iter()
                    .find(|o| &o.id == id)
                    .map(|o| tr(&o.label))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let m = table.margin95;
    let mut bars: Vec<Bar> = Vec::new();
    let bar_of = |label: String, v: u64, suppressed: bool| Bar {
        label,
        value: if suppressed { 0.0 } else { v as f64 },
        lo: if suppressed {
            0.0
        } else {
            v.saturating_sub(m) as f64
        },
        hi: if suppressed {
            0.0
        } else {
            v.saturating_add(m) as f64
        },
        text: cx.value(v, suppressed, (!suppressed).then_some(m)),
    };

    if table.statistic == "mean" {
        // Means only: the counts behind them are in the same rows.
        render_means(out, i, table, cx, &group_label, &col_label, &mut bars);
    } else if table.rds.is_some() {
        render_shares(out, i, table, cx, &group_label, &col_label, &mut bars);
    } else if table.by.is_empty() {
        w!(
            out,
            "<div class=\"scroll\"><table aria-labelledby=\"t{i}\">\n<thead{ui_attr}><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
            escape(words.option),
            escape(words.count),
            escape(words.margin),
        );
        for c in &table.cells {
            let l = col_label(&c.choice);
            w!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>± {m}</td></tr>\n",
                escape(&l),
                escape(&cx.value(c.value, c.suppressed, None)),
            );
            bars.push(bar_of(l, c.value, c.suppressed));
        }
        for t in table.totals.iter().filter(|t| t.over == "columns") {
            w!(
                out,
                "<tr class=\"total\"><th scope=\"row\"{ui_attr}>{}</th><td>{}</td><td>± {}</td></tr>\n",
                escape(words.total),
                escape(&cx.value(t.value, t.suppressed, None)),
                t.margin95
            );
        }
        w!(out, "</tbody>\n</table></div>\n");
    } else {
        // A cross-tab: a row per group, a column per option, totals.
        let row_totals: Vec<_> = table
            .totals
            .iter()
            .filter(|t| t.over == "columns")
            .collect();
        let col_totals: Vec<_> = table.totals.iter().filter(|t| t.over == "groups").collect();
        let grand = table.totals.iter().find(|t| t.over == "all");
        let caption = fill(words.cross_note, &[("m", &m.to_string())]);
        w!(
            out,
            "<div class=\"scroll\"><table aria-labelledby=\"t{i}\">\n<caption{ui_attr}>{}</caption>\n<thead><tr><th scope=\"col\">{}</th>",
            escape(&caption),
            escape(
                &table
                    .by
                    .iter()
                    .map(|b| tr(&b.label))
                    .collect::<Vec<_>>()
                    .join(" / ")
            )
        );
        for c in &table.columns {
            w!(out, "<th scope=\"col\">{}</th>", escape(&tr(&c.label)));
        }
        if !row_totals.is_empty() {
            w!(
                out,
                "<th scope=\"col\"{ui_attr}>{}</th>",
                escape(words.total)
            );
        }
        w!(out, "</tr></thead>\n<tbody>\n");
        let k = table.columns.len().max(1);
        for (g, row) in table.cells.chunks(k).enumerate() {
            let gl = row
                .first()
                .map(|c| group_label(&c.group))
                .unwrap_or_default();
            w!(out, "<tr><th scope=\"row\">{}</th>", escape(&gl));
            for c in row {
                w!(
                    out,
                    "<td>{}</td>",
                    escape(&cx.value(c.value, c.suppressed, None))
                );
                let l = if k == 1 {
                    gl.clone()
                } else {
                    format!("{gl} / {}", col_label(&c.choice))
                };
                bars.push(bar_of(l, c.value, c.suppressed));
            }
            if let Some(t) = row_totals.get(g) {
                w!(
                    out,
                    "<td>{}</td>",
                    escape(&cx.value(t.value, t.suppressed, Some(t.margin95)))
                );
            }
            w!(out, "</tr>\n");
        }
        if !col_totals.is_empty() {
            w!(
                out,
                "<tr class=\"total\"><th scope=\"row\"{ui_attr}>{}</th>",
                escape(words.total)
            );
            for t in &col_totals {
                w!(
                    out,
                    "<td>{}</td>",
                    escape(&cx.value(t.value, t.suppressed, Some(t.margin95)))
                );
            }
            if !row_totals.is_empty() {
                match grand {
                    Some(t) => {
                        w!(
                            out,
                            "<td>{}</td>",
                            escape(&cx.value(t.value, t.suppressed, Some(t.margin95)))
                        );
                    }
                    None => {
                        w!(out, "<td></td>");
                    }
                }
            }
            w!(out, "</tr>\n");
        }
        w!(out, "</tbody>\n</table></div>\n");
    }

    if table.statistic == "mean_rank" {
        bars.clear();
        render_means(out, i, table, cx, &group_label, &col_label, &mut bars);
    }

    if !table.quantiles.is_empty() {
        w!(
            out,
            "<div class=\"scroll\"><table>\n<caption{ui_attr}>{}</caption>\n<tbody>\n",
            escape(words.quartiles)
        );
        for q in &table.quantiles {
            let gl = group_label(&q.group);
            let text = if q.suppressed {
                fill(words.suppressed_mean, &[("t", cx.threshold)])
            } else {
                let f = |x: Option<f64>, m: Option<f64>| match (x, m) {
                    (Some(v), Some(m)) => format!("{v:.1} ± {m:.1}"),
                    (Some(v), None) => format!("{v:.1}"),
                    _ => String::new(),
                };
                format!(
                    "{} / {} / {}",
                    f(q.q1, q.q1_margin95_approx),
                    f(q.median, q.median_margin95_approx),
                    f(q.q3, q.q3_margin95_approx)
                )
            };
            w!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
                escape(if gl.is_empty() { words.quartiles } else { &gl }),
                escape(&text)
            );
        }
        w!(out, "</tbody>\n</table></div>\n");
    }

    let alt = fill(words.chart, &[("label", &label)]);
    render_chart(out, &alt, ui_attr, &bars);
    w!(
        out,
        "<p class=\"note\"{ui_attr}><a href=\"{}/{}.csv\" type=\"text/csv\">{}</a></p>\n",
        escape(release_seg),
        escape(&path_segment(&table.id)),
        escape(words.csv_link)
    );
    w!(out, "</section>\n");
}

/// The table of means (for `mean` and `mean_rank`) and their bars.
fn render_means(
    out: &mut String,
    i: usize,
    table: &Table,
    cx: &Cx<'_>,
    group_label: &dyn Fn(&[String]) -> String,
    col_label: &dyn Fn(&str) -> String,
    bars: &mut Vec<Bar>,
) {
    let words = cx.words;
    let ui_attr = cx.ui_attr;
    w!(
        out,
        "<div class=\"scroll\"><table aria-labelledby=\"t{i}\">\n<thead{ui_attr}><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
        escape(words.option),
        escape(words.mean),
        escape(words.interval),
        escape(words.answers),
    );
    for (mi, mc) in table.means.iter().enumerate() {
        let mut l = group_label(&mc.group);
        if let Some(c) = &mc.choice {
            let cl = col_label(c);
            l = if l.is_empty() {
                cl
            } else {
                format!("{l} / {cl}")
            };
        }
        if l.is_empty() {
            l = (cx.tr)(&table.label);
        }
        let n_cell = table
            .cells
            .get(mi)
            .map(|c| cx.value(c.value, c.suppressed, Some(table.margin95)))
            .unwrap_or_default();
        let (mean, interval) = match (mc.suppressed, mc.mean) {
            (false, Some(v)) => (
                format!("{v:.2}"),
                format!("{:.2} – {:.2}", mc.low95, mc.high95),
            ),
            _ => (
                fill(words.suppressed_mean, &[("t", cx.threshold)]),
                String::new(),
            ),
        };
        w!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&l),
            escape(&mean),
            escape(&interval),
            escape(&n_cell)
        );
        let shown = !mc.suppressed && mc.mean.is_some();
        bars.push(Bar {
            label: l,
            value: if shown { mc.mean.unwrap_or(0.0) } else { 0.0 },
            lo: if shown { mc.low95 } else { 0.0 },
            hi: if shown { mc.high95 } else { 0.0 },
            text: if shown {
                format!("{mean} ({interval})")
            } else {
                cx.small.clone()
            },
        });
    }
    w!(out, "</tbody>\n</table></div>\n");
}

/// The table of RDS-II shares (for `rds_proportion`), in percent, and their
/// bars.
fn render_shares(
    out: &mut String,
    i: usize,
    table: &Table,
    cx: &Cx<'_>,
    group_label: &dyn Fn(&[String]) -> String,
    col_label: &dyn Fn(&str) -> String,
    bars: &mut Vec<Bar>,
) {
    let words = cx.words;
    let ui_attr = cx.ui_attr;
    w!(
        out,
        "<div class=\"scroll\"><table aria-labelledby=\"t{i}\">\n<thead{ui_attr}><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
        escape(words.option),
        escape(words.share),
        escape(words.share_margin),
    );
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    for p in &table.proportions {
        let gl = group_label(&p.group);
        let cl = col_label(&p.choice);
        let l = if gl.is_empty() {
            cl
        } else {
            format!("{gl} / {cl}")
        };
        let shown = match (p.suppressed, p.proportion) {
            (false, Some(v)) => Some((v, p.margin95_approx.unwrap_or(0.0))),
            _ => None,
        };
        let (value, margin) = match shown {
            Some((v, m)) => (pct(v), format!("± {}", pct(m))),
            None => (words.suppressed_share.to_string(), String::new()),
        };
        w!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>\n",
            escape(&l),
            escape(&value),
            escape(&margin)
        );
        bars.push(Bar {
            label: l,
            value: shown.map_or(0.0, |(v, _)| 100.0 * v),
            lo: shown.map_or(0.0, |(v, m)| 100.0 * (v - m).max(0.0)),
            hi: shown.map_or(0.0, |(v, m)| 100.0 * (v + m).min(1.0)),
            text: match shown {
                Some(_) => format!("{value} {margin}"),
                None => words.suppressed_share.to_string(),
            },
        });
    }
    w!(out, "</tbody>\n</table></div>\n");
}

/// A horizontal bar chart: a row per bar, its label above a bar with an
/// error bar from `lo` to `hi` and the text at the right.
fn render_chart(out: &mut String, alt: &str, ui_attr: &str, bars: &[Bar]) {
    if bars.is_empty() {
        return;
    }
    let top = bars
        .iter()
        .map(|b| b.hi.max(b.value))
        .fold(0.0, f64::max)
        .max(1.0);
    let plot = CHART_WIDTH - NUMBER_ROOM;
    let x = |v: f64| v.max(0.0) * plot / top;
    let height = bars.len() as f64 * ROW_HEIGHT + 4.0;
    w!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {CHART_WIDTH} {height}\" width=\"100%\" role=\"img\" aria-label=\"{a}\"{ui_attr}><title>{a}</title>\n",
        a = escape(alt),
    );
    for (row, b) in bars.iter().enumerate() {
        let y = row as f64 * ROW_HEIGHT;
        let (lo, hi) = (x(b.lo), x(b.hi));
        let mid = y + 25.0;
        w!(
            out,
            "<text x=\"0\" y=\"{:.0}\">{}</text>",
            y + 13.0,
            escape(&shorten(&b.label, CHART_LABEL_CHARS))
        );
        w!(
            out,
            "<rect class=\"bar\" x=\"0\" y=\"{:.0}\" width=\"{:.1}\" height=\"14\"/>",
            y + 18.0,
            x(b.value)
        );
        if hi > lo {
            w!(
                out,
                "<path class=\"err\" d=\"M{lo:.1} {mid:.0}H{hi:.1}M{lo:.1} {:.0}V{:.0}M{hi:.1} {:.0}V{:.0}\"/>",
                mid - 5.0,
                mid + 5.0,
                mid - 5.0,
                mid + 5.0,
            );
        }
        w!(
            out,
            "<text x=\"{:.1}\" y=\"{:.0}\">{}</text>\n",
            hi.max(x(b.value)) + 5.0,
            mid + 4.0,
            escape(&b.text)
        );
    }
    w!(out, "</svg>\n");
}

/// `template` with each `{key}` replaced by its value, in one pass: braces
/// inside the values (which come from survey files) are left alone.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let hit = after.find('}').and_then(|close| {
            let key = &after[..close];
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (close, *v))
        });
        match hit {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `s` cut to at most `max` characters, with "…" when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}
