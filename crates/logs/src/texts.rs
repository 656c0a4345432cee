//! A capped set of distinct texts that holds its first member without a
//! table: most clients that fail do so as one user, with one credential.

use crate::SET_CAP;
use foldhash::HashSet;

/// Distinct texts, up to [`SET_CAP`]. One member is kept as it is; a table
/// is made at the second. (A table for each of a large log's 200,000
/// failing clients, most with one user, was a tenth of its reading.)
#[derive(Default)]
pub(crate) enum Texts {
    #[default]
    Empty,
    One(String),
    Many(HashSet<String>),
}

impl Texts {
    /// Adds `v`, copied only where it is new and there is room.
    pub(crate) fn insert(&mut self, v: &str) {
        let new = match self {
            Texts::Empty => true,
            Texts::One(s) => s != v,
            Texts::Many(set) => set.len() < SET_CAP && !set.contains(v),
        };
        if new {
            self.add(v.to_owned());
        }
    }

    /// Adds `v`, owned already (a merge's), up to the cap.
    fn add(&mut self, v: String) {
        match self {
            Texts::Empty => *self = Texts::One(v),
            Texts::One(s) if *s == v => {}
            Texts::One(s) => {
                let mut set = HashSet::default();
                set.insert(std::mem::take(s));
                set.insert(v);
                *self = Texts::Many(set);
            }
            Texts::Many(set) => {
                if set.len() < SET_CAP {
                    set.insert(v);
                }
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Texts::Empty => 0,
            Texts::One(_) => 1,
            Texts::Many(set) => set.len(),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &String> {
        let (one, many) = match self {
            Texts::Empty => (None, None),
            Texts::One(s) => (Some(s), None),
            Texts::Many(set) => (None, Some(set.iter())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    /// Adds `other`'s members (up to the cap): the smaller into the larger.
    pub(crate) fn union(&mut self, mut other: Texts) {
        if other.len() > self.len() {
            std::mem::swap(self, &mut other);
        }
        match other {
            Texts::Empty => {}
            Texts::One(s) => self.add(s),
            Texts::Many(set) => {
                for v in set {
                    if self.len() >= SET_CAP {
                        break;
                    }
                    self.add(v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_member_then_many_then_the_cap_and_unions_either_way() {
        let mut a = Texts::default();
        assert_eq!(a.len(), 0);
        a.insert("alice");
        a.insert("alice");
        assert!(matches!(a, Texts::One(_)));
        a.insert("bob");
        assert_eq!(a.len(), 2);
        let mut names: Vec<&String> = a.iter().collect();
        names.sort();
        assert_eq!(names, ["alice", "bob"]);
        let mut b = Texts::default();
        b.insert("carol");
        b.union(a);
        assert_eq!(b.len(), 3);
        let mut c = Texts::default();
        c.insert("bob");
        c.union(b);
        assert_eq!(c.len(), 3, "a member both had is counted once");
        let mut flood = Texts::default();
        for i in 0..SET_CAP + 10 {
            flood.insert(&format!("user{i}"));
        }
        assert_eq!(flood.len(), SET_CAP);
        c.union(flood);
        assert_eq!(c.len(), SET_CAP);
    }
}
