//! Koji's tag inheritance walk (`readFullInheritance`), over links already read from the
//! database: depth first in priority order, pruning loops, honouring `maxdepth`,
//! `intransitive` and `noconfig`, accumulating package filters, and skipping revisits that
//! would add nothing.
//!
//! The walk is pure so it can be tested as data; `db::inheritance` reads every link reachable
//! from the root in one query and hands them here.

use std::collections::HashMap;

/// One inheritance link (a `tag_inheritance` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The child.
    pub tag_id: i64,
    /// The parent.
    pub parent_id: i64,
    /// The parent's name, or the child's for reverse walks.
    pub name: String,
    /// Lower first.
    pub priority: i64,
    /// Levels to follow beyond the parent (nil: no limit).
    pub maxdepth: Option<i64>,
    /// Followed only from the root.
    pub intransitive: bool,
    /// The parent's configuration is not inherited.
    pub noconfig: bool,
    /// A regex packages must match to be inherited through this link.
    pub pkg_filter: Option<String>,
}

/// One node of the flattened inheritance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The link that was followed.
    pub link: Link,
    /// The depth of the link's near end below the root, plus one.
    pub currdepth: i64,
    /// How much deeper the walk may go (nil: no limit).
    pub nextdepth: Option<i64>,
    /// The package filters accumulated from the root to here.
    pub filter: Vec<String>,
}

/// The links around each tag, in priority order: parents for forward walks, children for
/// reverse ones.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    links: HashMap<i64, Vec<Link>>,
}

impl Graph {
    /// Indexes links by their near end (`tag_id` forward, `parent_id` reverse), keeping the
    /// given order within each tag.
    pub fn new(links: Vec<Link>, reverse: bool) -> Graph {
        let mut by_tag: HashMap<i64, Vec<Link>> = HashMap::new();
        for link in links {
            let near = if reverse { link.parent_id } else { link.tag_id };
            by_tag.entry(near).or_default().push(link);
        }
        for list in by_tag.values_mut() {
            list.sort_by_key(|l| l.priority);
        }
        Graph { links: by_tag }
    }

    fn around(&self, tag_id: i64) -> &[Link] {
        self.links.get(&tag_id).map_or(&[], Vec::as_slice)
    }
}

/// What an earlier visit of a tag left behind, to decide whether a revisit adds anything.
#[derive(Debug, Clone)]
struct Visit {
    nextdepth: Option<i64>,
    noconfig: bool,
    filtered: bool,
}

/// A tag being walked: where we are in its links and what the path to it carries.
#[derive(Debug)]
struct Frame {
    tag_id: i64,
    next_link: usize,
    currdepth: i64,
    /// The depth limit the link into this tag left (nil: none).
    maxdepth: Option<i64>,
    noconfig: bool,
    filter: Vec<String>,
}

/// Walks the inheritance of `root` as Koji does and returns the nodes in order.
pub fn walk(graph: &Graph, root: i64, reverse: bool) -> Vec<Node> {
    let mut order = Vec::new();
    let mut history: HashMap<i64, Vec<Visit>> = HashMap::new();
    // The tags on the current path, root first; a link back to one of them is a loop.
    let mut path: Vec<i64> = vec![root];
    let mut stack = vec![Frame {
        tag_id: root,
        next_link: 0,
        currdepth: 1,
        maxdepth: None,
        noconfig: false,
        filter: Vec::new(),
    }];
    while let Some(frame) = stack.last_mut() {
        let Some(link) = graph.around(frame.tag_id).get(frame.next_link) else {
            stack.pop();
            path.pop();
            continue;
        };
        frame.next_link += 1;
        let far = if reverse { link.tag_id } else { link.parent_id };
        if path.contains(&far) {
            continue;
        }
        if link.intransitive && path.len() > 1 && !reverse {
            continue;
        }
        let currdepth = frame.currdepth;
        let nextdepth = if reverse {
            // Reverse walks check each link's own limit and propagate none.
            if link.maxdepth.is_some_and(|m| m < currdepth - 1) {
                continue;
            }
            None
        } else {
            match (link.maxdepth, frame.maxdepth) {
                (None, None) => None,
                (None, Some(limit)) => Some(limit - 1),
                (Some(own), None) => Some(own),
                (Some(own), Some(limit)) => Some(own.min(limit) - 1),
            }
        };
        // Koji turns the flag on for the rest of this tag's links too, not just this one.
        if link.noconfig {
            frame.noconfig = true;
        }
        let noconfig = frame.noconfig;
        let mut filter = frame.filter.clone();
        if let Some(pattern) = link.pkg_filter.as_deref().filter(|p| !p.is_empty()) {
            filter.push(pattern.to_owned());
        }
        let visits = history.entry(far).or_default();
        if !visits.is_empty() && visits.iter().any(|v| sufficient(v, nextdepth, noconfig)) {
            continue;
        }
        visits.push(Visit {
            nextdepth,
            noconfig: link.noconfig,
            filtered: !filter.is_empty(),
        });
        order.push(Node {
            link: link.clone(),
            currdepth,
            nextdepth,
            filter: filter.clone(),
        });
        if (link.intransitive && reverse) || nextdepth.is_some_and(|n| n < 1) {
            continue;
        }
        path.push(far);
        stack.push(Frame {
            tag_id: far,
            next_link: 0,
            currdepth: currdepth + 1,
            maxdepth: nextdepth,
            noconfig,
            filter,
        });
    }
    order
}

/// Whether an earlier visit already covered everything this one would reach.
fn sufficient(previous: &Visit, nextdepth: Option<i64>, noconfig: bool) -> bool {
    let deep_enough = match (nextdepth, previous.nextdepth) {
        (None, Some(_)) => false,
        (Some(now), Some(then)) => then >= now,
        (_, None) => true,
    };
    // A visit with noconfig set does not cover one without, nor does a filtered one anything.
    deep_enough && (noconfig || !previous.noconfig) && !previous.filtered
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link `child -> parent` at `priority`, named after the parent.
    fn link(child: i64, parent: i64, priority: i64) -> Link {
        Link {
            tag_id: child,
            parent_id: parent,
            name: format!("t{parent}"),
            priority,
            maxdepth: None,
            intransitive: false,
            noconfig: false,
            pkg_filter: Some(String::new()),
        }
    }

    /// Walks and renders each node as `child>parent@depth` plus flags.
    fn check(links: Vec<Link>, root: i64, reverse: bool, expected: &[&str]) {
        let graph = Graph::new(links, reverse);
        let got: Vec<String> = walk(&graph, root, reverse)
            .iter()
            .map(|n| {
                let mut s = format!("{}>{}@{}", n.link.tag_id, n.link.parent_id, n.currdepth);
                if let Some(d) = n.nextdepth {
                    s.push_str(&format!(" next={d}"));
                }
                if !n.filter.is_empty() {
                    s.push_str(&format!(" filter={}", n.filter.join("|")));
                }
                s
            })
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn depth_first_in_priority_order() {
        check(
            vec![link(1, 3, 20), link(1, 2, 10), link(2, 4, 0), link(3, 5, 0)],
            1,
            false,
            &["1>2@1", "2>4@2", "1>3@1", "3>5@2"],
        );
    }

    #[test]
    fn loops_are_pruned() {
        check(
            vec![link(1, 2, 0), link(2, 3, 0), link(3, 1, 0)],
            1,
            false,
            &["1>2@1", "2>3@2"],
        );
        check(vec![link(1, 1, 0)], 1, false, &[]);
    }

    #[test]
    fn shared_ancestors_are_listed_once() {
        // A diamond: 1 -> 2 -> 4 and 1 -> 3 -> 4.
        check(
            vec![link(1, 2, 0), link(1, 3, 1), link(2, 4, 0), link(3, 4, 0)],
            1,
            false,
            &["1>2@1", "2>4@2", "1>3@1"],
        );
    }

    #[test]
    fn maxdepth_limits_and_propagates() {
        let mut limited = link(1, 2, 0);
        limited.maxdepth = Some(1);
        check(
            vec![limited, link(2, 3, 0), link(3, 4, 0)],
            1,
            false,
            &["1>2@1 next=1", "2>3@2 next=0"],
        );
        let mut zero = link(1, 2, 0);
        zero.maxdepth = Some(0);
        check(vec![zero, link(2, 3, 0)], 1, false, &["1>2@1 next=0"]);
    }

    #[test]
    fn a_deeper_revisit_is_walked_again() {
        // 4 is first reached with no depth left, then again with room to go on to 5.
        let mut shallow = link(1, 2, 0);
        shallow.maxdepth = Some(1);
        check(
            vec![shallow, link(1, 4, 1), link(2, 4, 0), link(4, 5, 0)],
            1,
            false,
            &["1>2@1 next=1", "2>4@2 next=0", "1>4@1", "4>5@2"],
        );
    }

    #[test]
    fn intransitive_links_count_only_at_the_root() {
        let mut from_root = link(1, 2, 0);
        from_root.intransitive = true;
        let mut deeper = link(2, 3, 0);
        deeper.intransitive = true;
        check(vec![from_root, deeper], 1, false, &["1>2@1"]);
    }

    #[test]
    fn filters_accumulate_and_force_revisits() {
        let mut filtered = link(1, 2, 0);
        filtered.pkg_filter = Some("^a".into());
        let mut inner = link(2, 3, 0);
        inner.pkg_filter = Some("^ab".into());
        check(
            vec![filtered, link(1, 3, 1), inner],
            1,
            false,
            &["1>2@1 filter=^a", "2>3@2 filter=^a|^ab", "1>3@1"],
        );
    }

    #[test]
    fn reverse_walks_children() {
        let mut intransitive = link(3, 1, 0);
        intransitive.intransitive = true;
        check(
            vec![link(2, 1, 0), link(4, 2, 0), intransitive, link(5, 3, 0)],
            1,
            true,
            &["2>1@1", "4>2@2", "3>1@1"],
        );
        let mut shallow = link(4, 2, 0);
        shallow.maxdepth = Some(0);
        check(vec![link(2, 1, 0), shallow], 1, true, &["2>1@1"]);
    }

    #[test]
    fn long_chains_do_not_recurse() {
        let links: Vec<Link> = (1..5000).map(|i| link(i, i + 1, 0)).collect();
        let graph = Graph::new(links, false);
        assert_eq!(walk(&graph, 1, false).len(), 4999);
    }
}
