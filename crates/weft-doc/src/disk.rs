//! What the document last loaded from or saved to its file: the base of every merge, and
//! how our own writes are told apart from other programs' without looking at the clock.

use crate::merge::{merge3, Merged};

#[derive(Debug, Clone)]
pub struct DiskSync {
    /// The file's text as the document last loaded or saved it (being saved counts: it is
    /// recorded before the write, so the watcher's report of the write always finds it).
    saved: String,
}

impl DiskSync {
    /// A document just loaded from `text`.
    pub fn new(text: &str) -> Self {
        DiskSync { saved: text.to_owned() }
    }

    pub fn saved(&self) -> &str {
        &self.saved
    }

    /// Whether `disk` is what we last loaded or saved: our own write coming back, or no
    /// change at all.
    pub fn is_ours(&self, disk: &str) -> bool {
        disk == self.saved
    }

    /// The file now holds `disk` and the document `doc`. None when it is our own write or
    /// no change; otherwise the three-way merge (base = last saved), and `disk` becomes the
    /// base: it is what the file holds now.
    pub fn disk_changed(&mut self, doc: &str, disk: &str) -> Option<Merged> {
        if self.is_ours(disk) {
            return None;
        }
        let merged = merge3(&self.saved, doc, disk);
        self.saved = disk.to_owned();
        Some(merged)
    }

    /// About to write `text` to the file: it is the base from now on. Returns the previous
    /// base, for [`DiskSync::save_failed`].
    pub fn saving(&mut self, text: &str) -> String {
        std::mem::replace(&mut self.saved, text.to_owned())
    }

    /// The write did not happen (the file was left whole): the base is what it was.
    pub fn save_failed(&mut self, previous: String) {
        self.saved = previous;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_write_coming_back_is_ignored_whenever_it_arrives() {
        let mut d = DiskSync::new("a\n");
        let prev = d.saving("a\nb\n");
        assert_eq!(prev, "a\n");
        // The document went on to "a\nb\nc\n" before the watcher reported the save.
        assert!(d.disk_changed("a\nb\nc\n", "a\nb\n").is_none());
    }

    #[test]
    fn a_change_on_disk_is_merged_once_and_becomes_the_base() {
        let mut d = DiskSync::new("a\nb\n");
        // The document has an unsaved "x"; the disk got the same edit and another.
        let m = d.disk_changed("a\nbx\n", "A\nbx\n").expect("merged");
        assert_eq!(m.text, "A\nbx\n");
        assert_eq!(d.saved(), "A\nbx\n");
        // The same disk state again is no change.
        assert!(d.disk_changed(&m.text, "A\nbx\n").is_none());
    }

    #[test]
    fn a_failed_save_restores_the_base() {
        let mut d = DiskSync::new("old\n");
        let prev = d.saving("new\n");
        d.save_failed(prev);
        assert_eq!(d.saved(), "old\n");
    }
}
