//! The option orders of questions with `randomize`, fixed per form.

use std::collections::BTreeMap;

use surveys::{Choice, QuestionKind, Survey};

/// The option orders of the questions with `randomize`, drawn from the
/// submission id (random per form), so that they stay put while the form is
/// open. Options marked `fixed` keep their places.
pub(crate) fn shuffled_orders(survey: &Survey, seed: &str) -> BTreeMap<String, Vec<usize>> {
    // Inserted one by one, not collected: collecting into a map sorts, and
    // each sort is kilobytes of the browser's wasm.
    let mut orders = BTreeMap::new();
    for q in &survey.questions {
        let choices = match &q.kind {
            QuestionKind::SingleChoice {
                choices,
                randomize: true,
                ..
            }
            | QuestionKind::MultipleChoice {
                choices,
                randomize: true,
                ..
            }
            | QuestionKind::Ranking {
                choices,
                randomize: true,
                ..
            } => choices,
            _ => continue,
        };
        let mut rng = SplitMix(fnv1a(&[seed.as_bytes(), b"\xff", q.id.as_bytes()]));
        orders.insert(q.id.clone(), shuffle(choices, &mut rng));
    }
    orders
}

fn shuffle(choices: &[Choice], rng: &mut SplitMix) -> Vec<usize> {
    let free: Vec<usize> = (0..choices.len()).filter(|&i| !choices[i].fixed).collect();
    let mut moved = free.clone();
    for i in (1..moved.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        moved.swap(i, j);
    }
    let mut order: Vec<usize> = (0..choices.len()).collect();
    for (&place, item) in free.iter().zip(moved) {
        order[place] = item;
    }
    order
}

fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in parts.iter().flat_map(|p| p.iter()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// SplitMix64: enough to shuffle options; nothing secret depends on it.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
