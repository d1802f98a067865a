fn greeting(name: &str) -> String {
    format!("Hello, {name}!")
}

fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "world".into());
    println!("{}", greeting(&name));
}

#[cfg(test)]
mod tests {
    #[test]
    fn greets_by_name() {
        assert_eq!(super::greeting("Weft"), "Hello, Weft!");
    }
}
