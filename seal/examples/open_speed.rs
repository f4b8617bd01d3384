//! How long one envelope takes to seal and to open, single-threaded:
//! `SecretKey::open` (the key expanded once) against `open_with_hpke` (the
//! `hpke` crate's receiver, which expands the X-Wing seed again for every
//! envelope).
//!
//! ```text
//! cargo run --release -p seal --example open_speed [ENVELOPES] [ROUNDS]
//! ```
//!
//! For each plaintext size it seals `ENVELOPES` envelopes (default 2000),
//! then opens all of them with each path, `ROUNDS` times (default 3,
//! alternating the paths), and prints µs per envelope: the best round (the
//! least disturbed by whatever else the machine runs) and the median. Then
//! the primitives an open is made of, one by one: ML-KEM-768 both as
//! `SecretKey::open` does it on native targets (libcrux, AVX2 when the CPU
//! has it) and as the `hpke` path and the browser do it (`ml-kem`).

use std::hint::black_box;
use std::time::Instant;

use seal::{Binding, SecretKey};

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args
        .next()
        .map(|a| a.parse().expect("ENVELOPES is a number"))
        .unwrap_or(2000);
    let rounds: usize = args
        .next()
        .map(|a| a.parse().expect("ROUNDS is a number"))
        .unwrap_or(3)
        .max(1);

    let sk = SecretKey::derive(b"open_speed");
    let binding = Binding {
        survey_id: "speed",
        version: 1,
        submission_id: [0x42; 16],
    };
    println!("{count} envelopes per size, {rounds} rounds; µs per envelope (best / median)");
    #[cfg(target_arch = "x86_64")]
    println!(
        "AVX2 {}",
        if std::is_x86_feature_detected!("avx2") {
            "detected: libcrux runs its AVX2 code"
        } else {
            "not detected: libcrux runs its portable code"
        }
    );
    println!(
        "{:>10} {:>8} {:>19} {:>19} {:>19} {:>8}",
        "plaintext", "bucket", "seal", "open (expanded)", "open (hpke)", "speed-up"
    );
    for len in [600usize, 6000, 60000] {
        let plaintext: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();

        let mut envelopes = Vec::with_capacity(count);
        let start = Instant::now();
        for _ in 0..count {
            envelopes.push(seal::seal(sk.public(), &binding, &plaintext).expect("seals"));
        }
        let seal_us = per_envelope(start, count);
        let bucket = seal::Envelope::parse(&envelopes[0]).expect("parses").bucket;

        let mut fast = Vec::with_capacity(rounds);
        let mut hpke = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let start = Instant::now();
            for env in &envelopes {
                let opened = sk.open(&binding, black_box(env)).expect("opens");
                assert_eq!(opened.len(), len);
                black_box(opened);
            }
            fast.push(per_envelope(start, count));

            let start = Instant::now();
            for env in &envelopes {
                let opened = sk.open_with_hpke(&binding, black_box(env)).expect("opens");
                assert_eq!(opened.len(), len);
                black_box(opened);
            }
            hpke.push(per_envelope(start, count));
        }
        let (fast_best, fast_median) = best_and_median(&mut fast);
        let (hpke_best, hpke_median) = best_and_median(&mut hpke);
        println!(
            "{:>8} B {:>4} KiB {:>19} {:>19} {:>19} {:>7.2}x",
            len,
            bucket / 1024,
            format!("{seal_us:.1}"),
            format!("{fast_best:.1} / {fast_median:.1}"),
            format!("{hpke_best:.1} / {hpke_median:.1}"),
            hpke_best / fast_best,
        );
    }
    parts(count);
}

/// The primitives one open is made of (and the expansion it no longer
/// repeats), µs each: what is left to speed up.
fn parts(count: usize) {
    use chacha20poly1305::aead::{Aead, KeyInit};
    use ml_kem::kem::{Decapsulate, KeyExport};
    use x25519_dalek::{PublicKey, StaticSecret};

    let time = |what: &str, f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..count {
            f();
        }
        println!("{what:>44} {:>8.1}", per_envelope(start, count));
    };
    println!();
    println!("{:>44} {:>8}", "part (µs each)", "µs");
    let seed = ml_kem::Seed::from([7u8; 64]);
    let dk = ml_kem::ml_kem_768::DecapsulationKey::from_seed(seed);
    let ek = dk.encapsulation_key().clone();
    let (ct, _) = ek.encapsulate_deterministic(&ml_kem::B32::from([9u8; 32]));
    #[cfg(not(target_arch = "wasm32"))]
    {
        use libcrux_ml_kem::mlkem768;
        let key_pair = mlkem768::generate_key_pair(seed.into());
        let ct = mlkem768::MlKem768Ciphertext::try_from(ct.as_slice()).expect("1088 bytes");
        time("ML-KEM-768 decapsulation (libcrux, in open)", &mut || {
            black_box(mlkem768::decapsulate(
                black_box(key_pair.private_key()),
                black_box(&ct),
            ));
        });
        time("ML-KEM-768 key from seed (libcrux, once)", &mut || {
            black_box(mlkem768::generate_key_pair(black_box(seed.into())));
        });
    }
    time("ML-KEM-768 decapsulation (ml-kem)", &mut || {
        black_box(dk.decapsulate(black_box(&ct)));
    });
    time("ML-KEM-768 key from seed (ml-kem)", &mut || {
        black_box(ml_kem::ml_kem_768::DecapsulationKey::from_seed(black_box(
            seed,
        )));
    });
    time("ML-KEM-768 encapsulation (in seal)", &mut || {
        black_box(ek.encapsulate_deterministic(black_box(&ml_kem::B32::from([9u8; 32]))));
    });
    let sk_x = StaticSecret::from([5u8; 32]);
    let ct_x = PublicKey::from(&StaticSecret::from([6u8; 32]));
    time("X25519 shared secret", &mut || {
        black_box(sk_x.diffie_hellman(black_box(&ct_x)));
    });
    time("X25519 public key (no longer per open)", &mut || {
        black_box(PublicKey::from(black_box(&sk_x)));
    });
    let _ = ek.to_bytes();
    let aead = chacha20poly1305::ChaCha20Poly1305::new(&[1u8; 32].into());
    for kib in [1usize, 64] {
        let sealed = aead
            .encrypt(&[0u8; 12].into(), vec![0u8; kib * 1024].as_slice())
            .expect("seals");
        time(&format!("ChaCha20-Poly1305 open, {kib} KiB"), &mut || {
            black_box(
                aead.decrypt(&[0u8; 12].into(), black_box(sealed.as_slice()))
                    .expect("opens"),
            );
        });
    }
}

fn per_envelope(start: Instant, count: usize) -> f64 {
    start.elapsed().as_secs_f64() * 1e6 / count as f64
}

fn best_and_median(times: &mut [f64]) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[0], times[times.len() / 2])
}
