//! `chorus keygen`: the researchers' key pair. The public key goes into
//! survey files (`public_keys`), and members' devices seal answers to it; the
//! private key is written to a file protected by a passphrase
//! (`seal::keyfile`), kept by the researchers and never put on the collector.
//!
//! [`unlock_key`] and [`KeyArgs`] open that file again for the commands that
//! read sealed answers (`export`, `publish`).
//!
//! A passphrase comes from the terminal, typed without echo, or from the
//! first line of `--passphrase-file FILE` (for scripts; the trailing newline
//! is not part of it). Nothing here ever asks on standard input when it is
//! not a terminal: a command run by a script fails and names
//! `--passphrase-file` instead of waiting for a person.
//!
//! Every copy of a passphrase this module makes (the file's bytes, the typed
//! line, the line itself) is a [`Passphrase`], overwritten with zeros when it
//! is dropped, so it does not linger in freed memory.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use seal::SecretKey;
use seal::keyfile::{self, KeyFileError};
use zeroize::Zeroizing;

/// A passphrase's bytes, zeroed when dropped.
type Passphrase = Zeroizing<Vec<u8>>;

/// The shortest passphrase `chorus keygen` accepts on the terminal.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// Write the private key file here (mode 0600). Keep it safe, and never on the collector.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Read the passphrase from the first line of FILE instead of asking on the terminal.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Replace the file at --out if it exists (the key in it is then lost for good).
    #[arg(long)]
    pub force: bool,
}

/// `--key` and `--passphrase-file`, for the commands that open sealed answers.
/// Both may be repeated (after a key rotation, answers are sealed to the old
/// key and the new): the n-th passphrase file is the n-th key's.
#[derive(Args, Debug, Clone, Default)]
pub struct KeyArgs {
    /// The researchers' private key file (from `chorus keygen`), to open sealed answers;
    /// repeat it for answers sealed to several keys.
    #[arg(long, value_name = "FILE")]
    pub key: Vec<PathBuf>,
    /// Read the key's passphrase from the first line of FILE instead of asking on the terminal;
    /// one for each --key, in the same order.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub passphrase_file: Vec<PathBuf>,
}

impl KeyArgs {
    /// The opened keys, in the order given; none when no `--key` was given.
    pub fn unlock(&self) -> Result<Vec<SecretKey>> {
        let (keys, passes) = (self.key.len(), self.passphrase_file.len());
        if keys == 0 && passes > 0 {
            bail!("--passphrase-file is given without --key");
        }
        if passes > 0 && passes != keys {
            bail!(
                "{keys} --key but {passes} --passphrase-file: give one passphrase file \
                 for each key, in the same order (or none, to be asked on the terminal)"
            );
        }
        self.key
            .iter()
            .enumerate()
            .map(|(i, key)| unlock_key(key, self.passphrase_file.get(i).map(PathBuf::as_path)))
            .collect()
    }
}

/// `chorus keygen`.
pub fn keygen(args: KeygenArgs) -> Result<ExitCode> {
    let out = &args.out;
    let existed = out.exists();
    if existed && !args.force {
        bail!(
            "{} already exists; it may hold the only key to answers already collected. \
             Choose another file, or pass --force to replace it",
            out.display()
        );
    }
    if out.is_dir() {
        bail!(
            "{} is a folder; --out names the key file to write",
            out.display()
        );
    }
    let passphrase = match &args.passphrase_file {
        Some(file) => passphrase_from_file(file)?,
        None => new_passphrase_from_terminal(out)?,
    };
    let key = SecretKey::generate();
    let text = keyfile::lock(&key, &passphrase, keyfile::DEFAULT_COST)
        .map_err(|e| anyhow!("cannot protect the new key: {e}"))?;
    drop(passphrase);
    write_key_file(out, text.as_bytes(), args.force)?;

    let public = key.public().to_string();
    let mut stdout = std::io::stdout().lock();
    // The first line is the public key alone, for scripts.
    writeln!(stdout, "{public}")?;
    writeln!(stdout, "fingerprint: {}", key.public().id().fingerprint())?;
    writeln!(
        stdout,
        "private key written to {} (mode 0600){}",
        out.display(),
        if existed {
            "; the file that was there is replaced (--force)"
        } else {
            ""
        }
    )?;
    writeln!(
        stdout,
        "add this line to each survey file sealed to this key:"
    )?;
    writeln!(stdout, "public_keys = [\"{public}\"]")?;
    writeln!(
        stdout,
        "warning: if {} or its passphrase is lost, the answers sealed to this key can never be \
         opened, by anyone. Keep a copy of the file somewhere safe, and the passphrase apart from it.",
        out.display()
    )?;
    writeln!(
        stdout,
        "warning: never put {} on the collector: whoever takes the collector must find only \
         answers they cannot open.",
        out.display()
    )?;
    if let Some(file) = &args.passphrase_file {
        writeln!(
            stdout,
            "note: the passphrase is in {}; do not keep it beside the key file.",
            file.display()
        )?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Opens the private key file `key` with the passphrase from the first line
/// of `passphrase_file`, or asked once on the terminal.
pub fn unlock_key(key: &Path, passphrase_file: Option<&Path>) -> Result<SecretKey> {
    let bytes = std::fs::read(key).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow!("the key file {} does not exist", key.display()),
        _ => anyhow!("cannot read the key file {}: {e}", key.display()),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow!(
            "{} is not a Chorus private key file (it is not text)",
            key.display()
        )
    })?;
    // Check it is a key file before asking anyone for its passphrase.
    let public = keyfile::public_key(&text).map_err(|e| key_file_error(key, e))?;
    let passphrase = match passphrase_file {
        Some(file) => passphrase_from_file(file)?,
        None => {
            let prompt = format!(
                "Passphrase for {} (key {}): ",
                key.display(),
                public.id().fingerprint()
            );
            read_terminal(&prompt, key)?
        }
    };
    keyfile::unlock(&text, &passphrase).map_err(|e| key_file_error(key, e))
}

fn key_file_error(key: &Path, e: KeyFileError) -> anyhow::Error {
    let file = key.display();
    match e {
        KeyFileError::WrongPassphrase => {
            anyhow!("cannot open {file}: wrong passphrase, or the key file is damaged")
        }
        KeyFileError::NotAKeyFile(detail) => {
            anyhow!("{file} is not a Chorus private key file, or it is damaged ({detail})")
        }
        KeyFileError::Damaged(detail) => anyhow!("the key file {file} is damaged: {detail}"),
        KeyFileError::EmptyPassphrase => anyhow!("the passphrase is empty"),
        other => anyhow!("cannot open {file}: {other}"),
    }
}

/// The first line of `file`, without its line ending; refused when empty.
fn passphrase_from_file(file: &Path) -> Result<Passphrase> {
    let bytes = Zeroizing::new(
        std::fs::read(file)
            .with_context(|| format!("cannot read the passphrase file {}", file.display()))?,
    );
    let line = first_line(&bytes);
    if line.is_empty() {
        bail!(
            "the passphrase file {} is empty (its first line is the passphrase)",
            file.display()
        );
    }
    Ok(Zeroizing::new(line.to_vec()))
}

fn first_line(bytes: &[u8]) -> &[u8] {
    let line = match bytes.iter().position(|&b| b == b'\n') {
        Some(end) => &bytes[..end],
        None => bytes,
    };
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A new passphrase typed twice on the terminal.
fn new_passphrase_from_terminal(out: &Path) -> Result<Passphrase> {
    let first = read_terminal(
        &format!(
            "Passphrase for the new key file {} (at least {MIN_PASSPHRASE_CHARS} characters): ",
            out.display()
        ),
        out,
    )?;
    check_new_passphrase(&first)?;
    let again = read_terminal("The same passphrase again: ", out)?;
    if again != first {
        bail!("the two passphrases differ; nothing was written");
    }
    Ok(first)
}

fn check_new_passphrase(passphrase: &[u8]) -> Result<()> {
    let chars = String::from_utf8_lossy(passphrase).chars().count();
    if chars == 0 {
        bail!("the passphrase is empty; nothing was written");
    }
    if chars < MIN_PASSPHRASE_CHARS {
        bail!(
            "the passphrase has {chars} character{}; choose one of at least \
             {MIN_PASSPHRASE_CHARS} (nothing was written)",
            if chars == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// One line typed on the terminal without echo. Refused, naming
/// `--passphrase-file`, when standard input is not a terminal.
fn read_terminal(prompt: &str, file: &Path) -> Result<Passphrase> {
    let no_terminal = |why: &str| {
        anyhow!(
            "no terminal to ask for the passphrase of {}{why}; pass --passphrase-file FILE \
             (its first line is the passphrase)",
            file.display()
        )
    };
    if !std::io::stdin().is_terminal() {
        return Err(no_terminal(""));
    }
    match rpassword::prompt_password(prompt) {
        Ok(line) => Ok(Zeroizing::new(line.into_bytes())),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            // End the prompt's line, which the terminal did not echo.
            if std::io::stderr().is_terminal() {
                eprintln!();
            }
            bail!("no passphrase was typed")
        }
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => bail!("interrupted"),
        Err(e) => Err(no_terminal(&format!(" ({e})"))),
    }
}

/// Writes a new key file with mode 0600, never replacing an existing file
/// unless `force` (then through a new file renamed over it, so the old key
/// is replaced whole or not at all).
fn write_key_file(out: &Path, text: &[u8], force: bool) -> Result<()> {
    if !force {
        return create_new(out, text).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => anyhow!(
                "{} already exists; pass --force to replace it",
                out.display()
            ),
            _ => anyhow!("cannot write {}: {e}", out.display()),
        });
    }
    let name = out
        .file_name()
        .with_context(|| format!("{} is not a file name", out.display()))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".new-{}", std::process::id()));
    let temp = out.with_file_name(temp_name);
    create_new(&temp, text).with_context(|| format!("cannot write {}", temp.display()))?;
    if let Err(e) = std::fs::rename(&temp, out) {
        let _ = std::fs::remove_file(&temp);
        return Err(anyhow!("cannot replace {}: {e}", out.display()));
    }
    Ok(())
}

/// Creates `path` (which must not exist) readable by its owner only, writes
/// `text` and syncs it; a file left half-written is removed.
fn create_new(path: &Path, text: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let written = file.write_all(text).and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap argon2id settings: these tests are about the command's glue.
    const CHEAP: keyfile::Cost = keyfile::Cost {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    fn locked(dir: &Path, pass: &[u8]) -> (PathBuf, SecretKey) {
        let key = SecretKey::derive(b"chorus keys test");
        let path = dir.join("team.key");
        std::fs::write(&path, keyfile::lock(&key, pass, CHEAP).expect("lock")).expect("write");
        (path, key)
    }

    #[test]
    fn first_line_strips_the_line_ending_only() {
        assert_eq!(first_line(b"correct horse\n"), b"correct horse");
        assert_eq!(first_line(b"correct horse\r\nsecond"), b"correct horse");
        assert_eq!(first_line(b" spaced \n"), b" spaced ");
        assert_eq!(first_line(b"no newline"), b"no newline");
        assert_eq!(first_line(b"\nsecond"), b"");
        assert_eq!(first_line(b""), b"");
    }

    #[test]
    fn new_passphrases_need_eight_characters() {
        assert!(check_new_passphrase(b"").is_err());
        let short = check_new_passphrase(b"seven77").expect_err("short");
        assert!(short.to_string().contains("7 characters"), "{short}");
        // Characters, not bytes: eight Cyrillic letters are sixteen bytes.
        assert!(check_new_passphrase("пароль12".as_bytes()).is_ok());
        assert!(check_new_passphrase("парол".as_bytes()).is_err());
    }

    #[test]
    fn unlock_key_opens_with_the_passphrase_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, key) = locked(dir.path(), b"correct horse");
        let pass = dir.path().join("pass");
        std::fs::write(&pass, "correct horse\n").expect("write");
        let opened = unlock_key(&path, Some(&pass)).expect("unlock");
        assert_eq!(opened.public(), key.public());
    }

    #[test]
    fn unlock_key_errors_are_clear() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, _) = locked(dir.path(), b"correct horse");
        let wrong = dir.path().join("wrong");
        std::fs::write(&wrong, "battery staple\n").expect("write");
        let e = unlock_key(&path, Some(&wrong)).expect_err("wrong passphrase");
        assert!(
            e.to_string()
                .contains("wrong passphrase, or the key file is damaged"),
            "{e}"
        );

        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").expect("write");
        let e = unlock_key(&path, Some(&empty)).expect_err("empty");
        assert!(e.to_string().contains("is empty"), "{e}");

        let e = unlock_key(&dir.path().join("missing.key"), Some(&wrong)).expect_err("missing");
        assert!(e.to_string().contains("does not exist"), "{e}");

        let e = unlock_key(&wrong, Some(&wrong)).expect_err("not a key file");
        assert!(
            e.to_string().contains("is not a Chorus private key file"),
            "{e}"
        );

        let e = unlock_key(&path, Some(&dir.path().join("no-pass"))).expect_err("no pass file");
        assert!(
            format!("{e:#}").contains("cannot read the passphrase file"),
            "{e:#}"
        );
    }

    #[test]
    fn key_args_unlock() {
        assert!(KeyArgs::default().unlock().expect("no key").is_empty());
        let without_key = KeyArgs {
            key: vec![],
            passphrase_file: vec!["pass".into()],
        };
        let e = without_key.unlock().expect_err("no --key");
        assert!(e.to_string().contains("without --key"), "{e}");

        // Two keys, each with its own passphrase, opened in order.
        let dir = tempfile::tempdir().expect("tempdir");
        let mut args = KeyArgs::default();
        let mut publics = Vec::new();
        for name in ["old", "new"] {
            let key = SecretKey::derive(name.as_bytes());
            let path = dir.path().join(format!("{name}.key"));
            let pass = format!("{name} passphrase");
            std::fs::write(
                &path,
                keyfile::lock(&key, pass.as_bytes(), CHEAP).expect("lock"),
            )
            .expect("write");
            let pass_file = dir.path().join(format!("{name}.pass"));
            std::fs::write(&pass_file, format!("{pass}\n")).expect("write");
            args.key.push(path);
            args.passphrase_file.push(pass_file);
            publics.push(key.public().clone());
        }
        let opened = args.unlock().expect("unlock both");
        let opened: Vec<_> = opened.iter().map(|k| k.public().clone()).collect();
        assert_eq!(opened, publics);

        args.passphrase_file.pop();
        let e = args.unlock().expect_err("one passphrase file short");
        assert!(
            e.to_string().contains("2 --key but 1 --passphrase-file"),
            "{e}"
        );
    }
}
