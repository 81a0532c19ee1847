use scw_private::{Claims, scw_private};

#[scw_private(platform_iam)]
async fn handler(claims: Claims) -> String {
    format!("{:?}", claims.kind())
}

fn main() {}
