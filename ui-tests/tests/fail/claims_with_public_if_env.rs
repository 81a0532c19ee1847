use scw_private::{Claims, scw_private};

#[scw_private(public_if_env)]
async fn handler(claims: Claims) -> String {
    format!("{:?}", claims.kind())
}

fn main() {}
