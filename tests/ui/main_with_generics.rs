#[goro::main]
async fn main<T: Default>() {}
