//! Moving the selection of a list: the same for the tree, the browser, the metrics table,
//! the DLQ list and the health findings.

use super::keys::Action;

/// The selection after moving `delta` rows from `selected` in a list of `len` rows (kept in
/// the list; 0 when it is empty).
pub fn moved(selected: usize, len: usize, delta: isize) -> usize {
    if len == 0 {
        return 0;
    }
    (selected as isize).saturating_add(delta).clamp(0, len as isize - 1) as usize
}

/// The move a navigation action asks of a list with pages of `page` rows (`Top` and `Bottom`
/// go past either end, which [`moved`] clamps); `None` for any other action.
pub fn step(action: Action, page: isize) -> Option<isize> {
    match action {
        Action::Down => Some(1),
        Action::Up => Some(-1),
        Action::PageDown => Some(page),
        Action::PageUp => Some(-page),
        Action::Top => Some(isize::MIN / 2),
        Action::Bottom => Some(isize::MAX / 2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stay_in_the_list() {
        assert_eq!(moved(0, 0, 5), 0, "an empty list");
        assert_eq!(moved(3, 10, 1), 4);
        assert_eq!(moved(3, 10, -5), 0);
        assert_eq!(moved(3, 10, 50), 9);
        assert_eq!(moved(3, 10, step(Action::Bottom, 20).unwrap()), 9);
        assert_eq!(moved(3, 10, step(Action::Top, 20).unwrap()), 0);
        assert_eq!(moved(3, 10, step(Action::PageDown, 4).unwrap()), 7);
        assert_eq!(step(Action::Open, 4), None);
    }
}
