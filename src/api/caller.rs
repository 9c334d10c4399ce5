//! The authenticated caller as the services see it: an extractor over `AuthUser`.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::services::Caller;

impl From<AuthUser> for Caller {
    fn from(u: AuthUser) -> Self {
        Caller { id: u.id, username: u.username, role: u.role, jurisdiction: u.jurisdiction }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = AuthUser::from_request(req, payload);
        Box::pin(async move { user.await.map(Caller::from) })
    }
}
