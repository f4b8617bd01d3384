//! The report as one self-contained HTML page: no scripts, no external
//! assets, no web fonts; inline CSS and inline SVG only. Readable on a 320 px
//! phone and with a screen reader (each chart is an image with a text
//! alternative; the same numbers are in an accessible table).

use std::fmt::Write as _;

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
    lead: &'static str,
    option: &'static str,
    count: &'static str,
    margin: &'static str,
    table_note: &'static str,
    several: &'static str,
    chart: &'static str,
    method: &'static str,
    method_text: &'static [&'static str],
    cite: &'static str,
    cite_text: &'static str,
}

const EN: Words = Words {
    results: "Results",
    published: "Published",
    release: "Release",
    privacy: "Privacy (ε)",
    lead: "Every number below is a count of answers with random noise added, so that no one's answer can be singled out. “± m” is the margin: 95% of the time the noise is no larger than m.",
    option: "Option",
    count: "Count",
    margin: "± 95% margin",
    table_note: "ε = {eps} for this question; noise scale {scale}.",
    several: "Several options could be chosen, so one person can be counted in several rows.",
    chart: "Bar chart of the counts for “{label}”, with 95% margins; the same numbers as in the table.",
    method: "About these numbers",
    method_text: &[
        "Every number on this page is a count of answers with random noise added, so that the published numbers reveal almost nothing about any one person, even to someone who knows everyone else's answers. This is called differential privacy.",
        "The noise is a whole number drawn from the discrete Laplace distribution (Canonne, Kamath and Steinke, 2020) by an exact method with a cryptographically secure random generator. Each count gets its own noise: small noise is the most likely, large noise is rare, and it is as often positive as negative. A count that came out below zero is shown as 0.",
        "ε (epsilon) measures how much a release can reveal about one person: the smaller ε, the more noise and the stronger the protection. This release spends ε = {eps}, split equally between its questions ({tables} in all).",
        "“± m” means: 95% of the time the noise added to a count is no larger than m, so the true count is very likely within m of the number shown.",
        "The number of respondents is not published. Free-text answers are never published, and number questions are not published in this version.",
    ],
    cite: "How to cite",
    cite_text: "{title}. Survey “{survey}”, version {version}. Chorus release {release}, published {date}. Counts with differential-privacy noise (discrete Laplace), ε = {eps}.",
};

const RU: Words = Words {
    results: "Результаты",
    published: "Опубликовано",
    release: "Выпуск",
    privacy: "Приватность (ε)",
    lead: "Каждое число ниже — это количество ответов с добавленным случайным шумом, чтобы ничей ответ нельзя было выделить. «± m» — погрешность: в 95% случаев шум не больше m.",
    option: "Вариант",
    count: "Число",
    margin: "± погрешность 95%",
    table_note: "ε = {eps} для этого вопроса; масштаб шума {scale}.",
    several: "Можно было выбрать несколько вариантов, поэтому один человек может быть учтён в нескольких строках.",
    chart: "Диаграмма чисел для вопроса «{label}» с погрешностью 95%; те же числа, что в таблице.",
    method: "Об этих числах",
    method_text: &[
        "Каждое число на этой странице — это количество ответов с добавленным случайным шумом, чтобы опубликованные числа почти ничего не раскрывали об отдельном человеке, даже тому, кто знает ответы всех остальных. Этот подход называется дифференциальной приватностью.",
        "Шум — целое число из дискретного распределения Лапласа (Canonne, Kamath, Steinke, 2020), полученное точным методом с криптографически стойким генератором случайных чисел. К каждому числу добавлен свой шум: чаще всего небольшой, крупный — редко, в плюс и в минус одинаково часто. Если после добавления шума число оказалось меньше нуля, показан 0.",
        "ε (эпсилон) показывает, сколько публикация может раскрыть об одном человеке: чем меньше ε, тем больше шум и тем сильнее защита. В этом выпуске израсходовано ε = {eps}; оно поровну разделено между вопросами (всего вопросов: {tables}).",
        "«± m» означает: в 95% случаев добавленный к числу шум не больше m, поэтому истинное значение, скорее всего, отличается от показанного не больше чем на m.",
        "Число участников опроса не публикуется. Ответы в свободной форме никогда не публикуются, числовые вопросы в этой версии не публикуются.",
    ],
    cite: "Как цитировать",
    cite_text: "{title}. Опрос «{survey}», версия {version}. Выпуск Chorus {release}, опубликован {date}. Числа с шумом дифференциальной приватности (дискретное распределение Лапласа), ε = {eps}.",
};

const CSS: &str = "\
:root{color-scheme:light dark}\
body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;line-height:1.5;color:#1a1a1a;background:#fff}\
main{max-width:42rem;margin:0 auto;padding:1rem}\
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .5rem;overflow-wrap:anywhere}\
h2{font-size:1.15rem;line-height:1.3;margin:2rem 0 .5rem;overflow-wrap:anywhere}\
.meta{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;margin:0;color:#444}\
.meta div{display:flex;gap:.35rem}\
.meta dt{font-weight:600}\
.meta dd{margin:0;overflow-wrap:anywhere}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}\
th,td{padding:.3rem .4rem;border-bottom:1px solid #ccc;vertical-align:top}\
thead th{text-align:left;font-size:.9rem}\
thead th+th,td{text-align:right}\
td{font-variant-numeric:tabular-nums;white-space:nowrap}\
tbody th{font-weight:normal;text-align:left;overflow-wrap:anywhere}\
.chart{display:block;width:100%;max-width:30rem;height:auto;margin:.5rem 0 0}\
.chart text{font-size:13px;fill:currentColor}\
.num{font-variant-numeric:tabular-nums}\
.bar{fill:#3a6ea5}\
.err{stroke:currentColor;stroke-width:1.5}\
.note{font-size:.9rem;color:#444;margin:.25rem 0}\
.cite{border-left:4px solid #3a6ea5;padding:.5rem .75rem;margin:0;background:#f3f5f8;overflow-wrap:anywhere}\
@media (prefers-color-scheme:dark){body{color:#eee;background:#121212}.meta,.note{color:#bbb}th,td{border-color:#444}.bar{fill:#6f9fd8}.cite{background:#1e2228}}";

/// Chart geometry, in viewBox units (≈ CSS px on a phone).
const CHART_WIDTH: f64 = 360.0;
/// Room at the right for "1234 ± 56".
const NUMBER_ROOM: f64 = 84.0;
const ROW_HEIGHT: f64 = 40.0;
/// Longest option label drawn in a chart; the table has the full text.
const CHART_LABEL_CHARS: usize = 44;

/// The report as one self-contained HTML page in `lang`.
///
/// Survey texts are shown in `lang` when the survey has it, else in its
/// default language; the page's own words (method note, headings) are in
/// Russian or English — the requested language when it is one of those, else
/// the survey text's language when it is, else English. All text from the
/// survey file and the release metadata is escaped.
pub fn render_html(report: &Report, lang: &str) -> String {
    let text_lang = if report.languages.iter().any(|l| l == lang) {
        lang
    } else {
        report.default_language.as_str()
    };
    let ui_lang = [lang, text_lang]
        .into_iter()
        .find(|l| matches!(*l, "ru" | "en"))
        .unwrap_or("en");
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

    let mut out = String::with_capacity(16 * 1024);
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
        "<div><dt>{}</dt><dd>{}</dd></div></dl>\n",
        escape(words.privacy),
        escape(&eps)
    );
    w!(
        out,
        "<p class=\"note\"{ui_attr}>{}</p>\n</header>\n",
        escape(words.lead)
    );

    for (i, table) in report.tables.iter().enumerate() {
        render_table(&mut out, i, table, words, &ui_attr, &tr);
    }

    w!(
        out,
        "<section id=\"method\"{ui_attr}>\n<h2>{}</h2>\n",
        escape(words.method)
    );
    for para in words.method_text {
        let para = fill(
            para,
            &[("eps", &eps), ("tables", &report.tables.len().to_string())],
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

fn render_table(
    out: &mut String,
    i: usize,
    table: &Table,
    words: &Words,
    ui_attr: &str,
    tr: &dyn Fn(&surveys::Text) -> String,
) {
    let label = tr(&table.label);
    let m = table.margin95;
    w!(
        out,
        "<section aria-labelledby=\"q{i}\">\n<h2 id=\"q{i}\">{}</h2>\n",
        escape(&label)
    );
    let note = fill(
        words.table_note,
        &[("eps", &table.epsilon.to_string()), ("scale", &table.scale)],
    );
    w!(out, "<p class=\"note\"{ui_attr}>{}", escape(&note));
    if table.kind == "multiple_choice" {
        w!(out, " {}", escape(words.several));
    }
    w!(out, "</p>\n");

    w!(
        out,
        "<table aria-labelledby=\"q{i}\">\n<thead{ui_attr}><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
        escape(words.option),
        escape(words.count),
        escape(words.margin),
    );
    for cell in &table.cells {
        w!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>± {m}</td></tr>\n",
            escape(&tr(&cell.label)),
            cell.value
        );
    }
    w!(out, "</tbody>\n</table>\n");

    // The chart: one row per option, its label above a bar with an error bar
    // from value − m to value + m and the number at the right.
    let top = table
        .cells
        .iter()
        .map(|c| c.value.saturating_add(m))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot = CHART_WIDTH - NUMBER_ROOM;
    let x = |v: u64| v as f64 * plot / top;
    let height = table.cells.len() as f64 * ROW_HEIGHT + 4.0;
    let alt = fill(words.chart, &[("label", &label)]);
    w!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {CHART_WIDTH} {height}\" width=\"100%\" role=\"img\" aria-label=\"{a}\"{ui_attr}><title>{a}</title>\n",
        a = escape(&alt),
    );
    for (row, cell) in table.cells.iter().enumerate() {
        let y = row as f64 * ROW_HEIGHT;
        let lo = x(cell.value.saturating_sub(m));
        let hi = x(cell.value.saturating_add(m));
        let mid = y + 25.0;
        w!(
            out,
            "<text x=\"0\" y=\"{:.0}\">{}</text>",
            y + 13.0,
            escape(&shorten(&tr(&cell.label), CHART_LABEL_CHARS))
        );
        w!(
            out,
            "<rect class=\"bar\" x=\"0\" y=\"{:.0}\" width=\"{:.1}\" height=\"14\"/>",
            y + 18.0,
            x(cell.value)
        );
        w!(
            out,
            "<path class=\"err\" d=\"M{lo:.1} {mid:.0}H{hi:.1}M{lo:.1} {:.0}V{:.0}M{hi:.1} {:.0}V{:.0}\"/>",
            mid - 5.0,
            mid + 5.0,
            mid - 5.0,
            mid + 5.0,
        );
        w!(
            out,
            "<text class=\"num\" x=\"{:.1}\" y=\"{:.0}\">{} ± {m}</text>\n",
            hi + 5.0,
            mid + 4.0,
            cell.value
        );
    }
    w!(out, "</svg>\n</section>\n");
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
