//! What a checkpoint is: a map from workspace-relative path to file or symlink, stored as
//! one tree object per directory (like git), so a checkpoint after a one-file edit adds
//! only the trees on that file's path and everything else is shared.

use std::collections::BTreeMap;

use crate::StoreError;

pub type Hash = [u8; 32];

pub fn hash_bytes(bytes: &[u8]) -> Hash {
    *blake3::hash(bytes).as_bytes()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    File { mode: u32, size: u64, hash: Hash },
    Symlink { target: String },
}

/// Workspace-relative paths with `/` separators, in byte order.
pub type Manifest = BTreeMap<String, Node>;

const TREE_MAGIC: &[u8] = b"weft-tree-1\n";
const TAG_FILE: u8 = 0;
const TAG_LINK: u8 = 1;
const TAG_DIR: u8 = 2;

/// Serializes the manifest into tree objects, handing each one (hash, bytes) to `put`
/// bottom-up, and returns the root tree's hash. Equal manifests give equal root hashes,
/// which is how identical consecutive checkpoints are recognised.
///
/// One pass over the sorted paths with a stack of open directories (a directory's paths
/// are contiguous in sorted order), so no per-directory maps are built.
pub fn write_trees(manifest: &Manifest, put: &mut dyn FnMut(&Hash, &[u8]) -> Result<(), StoreError>) -> Result<Hash, StoreError> {
    // (directory path, "" for the root; its serialized entries so far)
    let mut stack: Vec<(&str, Vec<u8>)> = vec![("", TREE_MAGIC.to_vec())];
    for (path, node) in manifest {
        let (dir, name) = match path.rfind('/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => ("", path.as_str()),
        };
        while !is_within(dir, stack.last().map_or("", |t| t.0)) {
            close_dir(&mut stack, put)?;
        }
        let open = stack.last().map_or("", |t| t.0);
        if dir != open {
            let start = if open.is_empty() { 0 } else { open.len() + 1 };
            let mut at = start;
            for part in dir[start..].split('/') {
                at += part.len();
                stack.push((&dir[..at], TREE_MAGIC.to_vec()));
                at += 1;
            }
        }
        let Some((_, out)) = stack.last_mut() else { break };
        match node {
            Node::File { mode, size, hash } => {
                out.push(TAG_FILE);
                put_str(out, name);
                out.extend_from_slice(&mode.to_le_bytes());
                out.extend_from_slice(&size.to_le_bytes());
                out.extend_from_slice(hash);
            }
            Node::Symlink { target } => {
                out.push(TAG_LINK);
                put_str(out, name);
                put_str(out, target);
            }
        }
    }
    while stack.len() > 1 {
        close_dir(&mut stack, put)?;
    }
    let (_, root) = stack.pop().unwrap_or_default();
    let h = hash_bytes(&root);
    put(&h, &root)?;
    Ok(h)
}

/// Whether `dir` is `open` or lies under it.
fn is_within(dir: &str, open: &str) -> bool {
    open.is_empty() || dir == open || (dir.starts_with(open) && dir.as_bytes().get(open.len()) == Some(&b'/'))
}

/// Finishes the innermost open directory and records it in its parent.
fn close_dir(stack: &mut Vec<(&str, Vec<u8>)>, put: &mut dyn FnMut(&Hash, &[u8]) -> Result<(), StoreError>) -> Result<(), StoreError> {
    let Some((path, bytes)) = stack.pop() else { return Ok(()) };
    let h = hash_bytes(&bytes);
    put(&h, &bytes)?;
    let name = path.rsplit('/').next().unwrap_or(path);
    if let Some((_, parent)) = stack.last_mut() {
        parent.push(TAG_DIR);
        put_str(parent, name);
        parent.extend_from_slice(&h);
    }
    Ok(())
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Reads the tree at `root` back into a flat manifest; `get` fetches a tree object.
pub fn read_trees(root: &Hash, get: &mut dyn FnMut(&Hash) -> Result<Vec<u8>, StoreError>) -> Result<Manifest, StoreError> {
    let mut manifest = Manifest::new();
    read_dir(root, "", get, &mut manifest)?;
    Ok(manifest)
}

fn read_dir(hash: &Hash, prefix: &str, get: &mut dyn FnMut(&Hash) -> Result<Vec<u8>, StoreError>, out: &mut Manifest) -> Result<(), StoreError> {
    let bytes = get(hash)?;
    let mut r = Reader { b: &bytes, at: 0 };
    if r.take(TREE_MAGIC.len())? != TREE_MAGIC {
        return Err(StoreError::Corrupt("a tree object has an unknown format".into()));
    }
    while r.at < bytes.len() {
        let tag = r.take(1)?[0];
        let name = r.str()?;
        let path = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
        match tag {
            TAG_FILE => {
                let mode = u32::from_le_bytes(r.array()?);
                let size = u64::from_le_bytes(r.array()?);
                let hash = r.array()?;
                out.insert(path, Node::File { mode, size, hash });
            }
            TAG_LINK => {
                let target = r.str()?;
                out.insert(path, Node::Symlink { target });
            }
            TAG_DIR => {
                let sub: Hash = r.array()?;
                read_dir(&sub, &path, get, out)?;
            }
            _ => return Err(StoreError::Corrupt("a tree object has an unknown entry".into())),
        }
    }
    Ok(())
}

/// Every tree object reachable from `root`, itself included (for garbage collection).
pub fn tree_hashes(root: &Hash, get: &mut dyn FnMut(&Hash) -> Result<Vec<u8>, StoreError>, seen: &mut std::collections::HashSet<Hash>, files: &mut std::collections::HashSet<Hash>) -> Result<(), StoreError> {
    if !seen.insert(*root) {
        return Ok(());
    }
    let bytes = get(root)?;
    let mut r = Reader { b: &bytes, at: 0 };
    r.take(TREE_MAGIC.len())?;
    while r.at < bytes.len() {
        let tag = r.take(1)?[0];
        r.str()?;
        match tag {
            TAG_FILE => {
                r.take(12)?;
                files.insert(r.array()?);
            }
            TAG_LINK => {
                r.str()?;
            }
            TAG_DIR => {
                let sub: Hash = r.array()?;
                tree_hashes(&sub, get, seen, files)?;
            }
            _ => return Err(StoreError::Corrupt("a tree object has an unknown entry".into())),
        }
    }
    Ok(())
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len()).ok_or_else(|| StoreError::Corrupt("a tree object is truncated".into()))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn str(&mut self) -> Result<String, StoreError> {
        let n = u32::from_le_bytes(self.array()?) as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| StoreError::Corrupt("a tree object has a name that is not UTF-8".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn trees_round_trip_and_share_unchanged_directories() {
        let mut m = Manifest::new();
        m.insert("a/b/c.txt".into(), Node::File { mode: 0o644, size: 3, hash: [1; 32] });
        m.insert("a/x.sh".into(), Node::File { mode: 0o755, size: 9, hash: [2; 32] });
        m.insert("z/link".into(), Node::Symlink { target: "../a/x.sh".into() });
        let mut objects: HashMap<Hash, Vec<u8>> = HashMap::new();
        let root = write_trees(&m, &mut |h, b| {
            objects.insert(*h, b.to_vec());
            Ok(())
        })
        .unwrap();
        let back = read_trees(&root, &mut |h| Ok(objects[h].clone())).unwrap();
        assert_eq!(back, m);

        let before = objects.len();
        m.insert("z/new".into(), Node::File { mode: 0o644, size: 0, hash: [3; 32] });
        let mut added = 0;
        let root2 = write_trees(&m, &mut |h, b| {
            if objects.insert(*h, b.to_vec()).is_none() {
                added += 1;
            }
            Ok(())
        })
        .unwrap();
        assert_ne!(root, root2);
        assert_eq!(added, 2, "only z/ and the root change");
        assert_eq!(objects.len(), before + 2);
    }
}
