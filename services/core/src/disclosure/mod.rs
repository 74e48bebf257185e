//! Disclosure control (diskretionering) for published count tables.
//!
//! Statistics Denmark's rule, which lighed applies to every released cell (DANISH-DATA.md §5):
//! no cell based on 1 to k−1 persons (k = 5 by default, configurable upward only — a
//! [`MinCellSize`] below 5 cannot be constructed), and complementary suppression so that no
//! suppressed cell can be worked out from the released cells and the totals. Zero cells may be
//! shown. A suppressed cell keeps its place with a [`Reason`]; it is never turned into 0 or
//! dropped.
//!
//! # What is guaranteed ([`protect`])
//!
//! The attacker knows every released cell, every relation of the table (each total is the sum
//! of its parts), that counts are non-negative integers, and each suppressed cell's reason —
//! hence that a [`Reason::Primary`] cell lies in `1..=k−1` and a [`Reason::Complementary`] cell
//! is `≥ k` (lighed never hides a 0 and every non-primary non-zero cell is `≥ k`). When
//! [`ProtectedTable::protected`] is true:
//!
//! 1. **No released cell is in `1..k`** (primary suppression covers margins too).
//! 2. **No suppressed cell is determined**: for each, at least two integer values are consistent
//!    with everything the attacker knows.
//! 3. **No small sum leaks**: for every relation whose total is released, the suppressed parts
//!    (whose sum is `total − released parts`, a difference of released cells) sum to 0 or `≥ k`.
//!
//! `protected` is false only when even suppressing every cell cannot meet 2–3 (e.g. a whole
//! table of fewer than k persons, where the reasons alone reveal the counts); then every
//! non-zero cell is suppressed and the table should not be published.
//!
//! # Why no suppressed cell can be recovered (two-way tables)
//!
//! Write the table with margins as an `(R+1)×(C+1)` array whose last row and column hold the
//! totals, and give interior cells and the grand total the sign +1 and the other margin cells
//! −1: then every row and every column of the signed array sums to 0. Rows and columns are the
//! two node sets of a bipartite graph and each cell is an edge between its row and its column,
//! so the relations are "the signed edges at each node sum to 0" — the node-arc incidence
//! system of a network (orient every edge row → column). With the released cells moved to the
//! right-hand side, the suppressed cells are a flow with supplies and demands, and the box
//! bounds above are arc capacities. By the flow decomposition theorem every change between two
//! consistent tables decomposes into cycles of the residual graph (arc row→column where the
//! signed cell can grow within its box, column→row where it can shrink), and conversely every
//! residual cycle gives a consistent table. Hence a suppressed cell can take a second value iff
//! one of its residual arcs lies on a directed cycle of the residual graph without its reverse
//! arc; because the capacities are integral (the incidence matrix of a bipartite graph is
//! totally unimodular), a unit step is then feasible, so a second *integer* value exists.
//! [`protect`] checks exactly this condition for every suppressed cell (a reachability search),
//! and relation sums (3) directly, and adds complementary cells until both hold. Adding a
//! suppressed cell only enlarges the attacker's set of consistent tables (it only adds arcs to
//! the residual graph), so a resolved cell never becomes determined again; each round adds at
//! least one cell, so the loop ends. The same fact makes the audit incremental ([`Auditor`]):
//! a cell found movable is never searched again, so a national table with thousands of
//! suppressed cells needs about one search per suppressed cell and per added cell, not one per
//! suppressed cell in every round.
//!
//! Complementary cells are chosen by a shortest path (cost = the cell's count, so the fewest
//! persons are hidden; ties by cell position) between the row and column of a determined cell,
//! which closes a cycle through it; if the cycle cannot move because of the boxes, the cheapest
//! releasable cell in the cell's own row or column is added. Everything is deterministic: the
//! same table gives the same cells.
//!
//! # Other shapes
//!
//! [`CountTable::new`] accepts any table given as cells plus "total = Σ parts" relations
//! (hierarchical margins, three-way tables). Those systems are not networks in general, so
//! [`protect`] audits them with linear programming ([`audit_lp`]: the minimum and maximum of each
//! suppressed cell over the attacker's polytope). For them guarantee 2 holds over the reals
//! (the interval has positive width); integrality is not proven. [`audit_lp`] is also the
//! independent check used by the tests of two-way tables.
//!
//! Reference: Hundepool A et al. *Statistical Disclosure Control*. Wiley 2012, ch. 4–5
//! (cell suppression, network methods); Cox LH. Network models for complementary cell
//! suppression. *J Am Stat Assoc* 1995;90:1453–1462.

mod audit;
mod protect;
mod table;

pub use audit::{Auditor, Violation, audit_lp, lp_intervals};
pub use protect::{CellStatus, ProtectedCell, ProtectedTable, audit, protect};
pub use table::{CountTable, DisclosureError, MinCellSize, Reason, Relation, Shape};
