//! `cargo run -p xlsform --example convert -- form.xlsx`: prints the TOML and the notes.
fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: convert FORM.xlsx");
        std::process::exit(2);
    };
    match xlsform::convert_file(std::path::Path::new(&path)) {
        Ok(c) => {
            if let Some(t) = &c.toml {
                println!("{t}");
            }
            for n in &c.notes {
                eprintln!("{n}");
            }
        }
        Err(e) => eprintln!("cannot read {path}: {e}"),
    }
}
