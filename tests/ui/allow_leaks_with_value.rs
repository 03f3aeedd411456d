#[goro::test(allow_leaks = true)]
async fn leaks() {}

fn main() {}
