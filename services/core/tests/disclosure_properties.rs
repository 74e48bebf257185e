//! Property tests of `lighed_core::disclosure`: on random tables with margins, no released cell
//! is below k, no suppressed cell is derivable — checked independently by solving the linear
//! system of released cells and margins with an LP (min/max of each suppressed cell) — no
//! relation leaks a small sum, and the result is deterministic. Also: the exact graph audit
//! used by `protect` agrees with the LP audit on random suppression patterns.

use lighed_core::disclosure::{
    CellStatus, CountTable, MinCellSize, Reason, Relation, audit, audit_lp, lp_intervals, protect,
};
use proptest::prelude::*;

/// Small tables with many small counts (0..=12) and some large ones.
fn table() -> impl Strategy<Value = Vec<Vec<u64>>> {
    (1usize..=4, 2usize..=5).prop_flat_map(|(r, c)| {
        proptest::collection::vec(
            proptest::collection::vec(prop_oneof![3 => 0u64..=12, 1 => 13u64..=200], c),
            r,
        )
    })
}

fn k_strategy() -> impl Strategy<Value = MinCellSize> {
    prop_oneof![3 => Just(5u64), 1 => 6u64..=10].prop_map(|k| MinCellSize::new(k).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn no_small_cell_released_none_derivable_and_stable(interior in table(), k in k_strategy()) {
        let t = CountTable::two_way(&interior).unwrap();
        let p = protect(&t, k);
        // Deterministic.
        prop_assert_eq!(&p, &protect(&t, k));
        for (i, (cell, &v)) in p.cells.iter().zip(t.values()).enumerate() {
            match cell.status {
                CellStatus::Released => {
                    prop_assert_eq!(cell.value, Some(v));
                    prop_assert!(v == 0 || v >= k.get(), "cell {} = {} released", i, v);
                }
                CellStatus::Suppressed(reason) => {
                    prop_assert_eq!(cell.value, None);
                    prop_assert!(v > 0, "a zero cell was suppressed");
                    prop_assert_eq!(reason == Reason::Primary, v < k.get());
                }
            }
        }
        if p.protected {
            // Independent check: LP over released cells + all margin relations + bounds.
            let status = p.status();
            prop_assert!(audit_lp(&t, &status, k).is_empty());
            for (cell, lo, hi) in lp_intervals(&t, &status, k) {
                // Two-way systems are totally unimodular: the interval has integral ends, so
                // at least two integers are consistent.
                prop_assert!(hi - lo >= 1.0 - 1e-6, "cell {} interval [{}, {}]", cell, lo, hi);
                let v = t.values()[cell] as f64;
                prop_assert!(lo <= v + 1e-6 && v <= hi + 1e-6);
            }
        } else {
            // Only when everything non-zero is already hidden.
            prop_assert!(p.cells.iter().zip(t.values()).all(|(c, &v)| v == 0 || c.value.is_none()));
        }
    }

    #[test]
    fn graph_audit_agrees_with_lp_audit(
        interior in table(), k in k_strategy(), mask in proptest::collection::vec(any::<bool>(), 36)
    ) {
        let t = CountTable::two_way(&interior).unwrap();
        let status: Vec<Option<Reason>> = t
            .values()
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if v > 0 && v < k.get() {
                    Some(Reason::Primary)
                } else if v >= k.get() && mask[i % mask.len()] {
                    Some(Reason::Complementary)
                } else {
                    None
                }
            })
            .collect();
        prop_assert_eq!(audit(&t, &status, k), audit_lp(&t, &status, k));
    }
}

/// A hierarchical (general-shape) table: region = Σ councils, council = Σ municipalities.
#[test]
fn hierarchical_table_is_protected_by_the_lp_audit() {
    // cells: 0 region; 1, 2 councils; 3..=5 municipalities of council 1; 6..=7 of council 2.
    let values = vec![120, 63, 57, 3, 20, 40, 2, 55];
    let rel = vec![
        Relation {
            total: 0,
            parts: vec![1, 2],
        },
        Relation {
            total: 1,
            parts: vec![3, 4, 5],
        },
        Relation {
            total: 2,
            parts: vec![6, 7],
        },
    ];
    let t = CountTable::new(values, rel).unwrap();
    let k = MinCellSize::DEFAULT;
    let p = protect(&t, k);
    assert!(p.protected);
    assert!(audit_lp(&t, &p.status(), k).is_empty());
    assert_eq!(p.cells[3].status, CellStatus::Suppressed(Reason::Primary));
    assert_eq!(p.cells[6].status, CellStatus::Suppressed(Reason::Primary));
    assert!(
        CountTable::new(
            vec![5, 2, 2],
            vec![Relation {
                total: 0,
                parts: vec![1, 2]
            }]
        )
        .is_err()
    );
}
