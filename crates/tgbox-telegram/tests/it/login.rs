//! Signing in against the test server: phone and code across two processes, wrong codes,
//! QR login, the list of sessions, terminating one, signing out.

use std::sync::Arc;
use std::time::Duration;

use tgbox::channel::{Channel, ErrorKind};
use tgbox_telegram::login::{self, ApiCredentials, QrState, SignIn};
use tgbox_telegram::{AccountSession, ConnectOptions, Connection, Error, TelegramChannel};

use tgbox_testserver::{LOGIN_CODE, PHONE, TestServer, USER_ID};

fn api() -> ApiCredentials {
    ApiCredentials::new(1, "0123456789abcdef0123456789abcdef").unwrap()
}

fn conn(session: AccountSession) -> Arc<Connection> {
    let mut o = ConnectOptions::new(1);
    o.timeout = Duration::from_secs(5);
    Connection::new(Arc::new(session), o)
}

#[test]
fn credentials_are_checked_and_never_shown() {
    assert!(ApiCredentials::new(0, "0123456789abcdef0123456789abcdef").is_err());
    assert!(ApiCredentials::new(5, "xyz").is_err());
    let c = api();
    assert!(!format!("{c:?}").contains("0123456789abcdef"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_and_code_in_two_processes_with_a_wrong_code_first() {
    let server = TestServer::start().await;
    let first = conn(server.fresh_session());
    assert_eq!(
        login::whoami(&first).await.unwrap(),
        None,
        "not signed in yet"
    );
    assert!(matches!(
        login::request_code(&first, "not a phone", &api()).await,
        Err(Error::InvalidPhone)
    ));
    let pending = login::request_code(&first, PHONE, &api()).await.unwrap();
    assert_eq!(pending.code_length, Some(LOGIN_CODE.len() as u32));
    assert!(
        !format!("{pending:?}").contains("1234"),
        "the phone is not shown"
    );

    // The next process: the session is restored from its snapshot, the pending login kept.
    let snapshot = first.session().snapshot();
    drop(first);
    let second = conn(AccountSession::restore(&snapshot).unwrap());
    assert!(matches!(
        login::submit_code(&second, &pending, "00000").await,
        Err(Error::InvalidCode)
    ));
    let done = login::submit_code(&second, &pending, LOGIN_CODE)
        .await
        .unwrap();
    let SignIn::Done(me) = done else {
        panic!("no password on the test account: {done:?}")
    };
    assert_eq!(me.id, USER_ID);
    assert_eq!(second.session().me().map(|m| m.id), Some(USER_ID));
    assert_eq!(
        login::whoami(&second).await.unwrap().map(|m| m.id),
        Some(USER_ID)
    );
    // The code was used up.
    assert!(matches!(
        login::submit_code(&second, &pending, LOGIN_CODE).await,
        Err(Error::CodeExpired)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_number_needs_a_sign_up_elsewhere() {
    let server = TestServer::start().await;
    let c = conn(server.fresh_session());
    let pending = login::request_code(&c, "+99966 2 9999", &api())
        .await
        .unwrap();
    assert!(matches!(
        login::submit_code(&c, &pending, LOGIN_CODE).await,
        Err(Error::SignUpRequired)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qr_login_shows_a_link_then_signs_in_once_scanned() {
    let server = TestServer::start().await;
    let c = conn(server.fresh_session());
    let QrState::Show { url, expires } = login::qr_login(&c, &api()).await.unwrap() else {
        panic!("a fresh session gets a token to show")
    };
    assert!(expires > 0);
    let token = url
        .strip_prefix("tg://login?token=")
        .expect("a tg:// login link");
    let padded = format!("{token}{}", "=".repeat((4 - token.len() % 4) % 4));
    let raw = tgbox_core::b64::decode(&padded).unwrap();
    assert!(server.shared.world().accept_login_token(&raw));
    let QrState::Done(me) = login::qr_login(&c, &api()).await.unwrap() else {
        panic!("scanned: signed in")
    };
    assert_eq!(me.id, USER_ID);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_listed_and_another_one_terminated_then_sign_out() {
    let server = TestServer::start().await;
    let other = conn(server.session());
    let other_channel = TelegramChannel::create(other.clone(), "TGBOX[01]: other", "")
        .await
        .unwrap();
    let me = conn(server.fresh_session());
    let pending = login::request_code(&me, PHONE, &api()).await.unwrap();
    login::submit_code(&me, &pending, LOGIN_CODE).await.unwrap();
    let list = login::authorizations(&me).await.unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list.iter().filter(|a| a.current).count(), 1);
    let victim = list.iter().find(|a| !a.current).unwrap();
    assert!(login::terminate(&me, 0).await.is_err(), "not this session");
    login::terminate(&me, victim.hash).await.unwrap();
    let e = other_channel.header().await.unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Unauthorized,
        "the other session is gone: {e}"
    );

    login::sign_out(&me).await.unwrap();
    assert!(!me.session().has_key(), "a logged-out key is forgotten");
    assert!(me.session().to_string_session().unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_step_password_by_srp_with_a_wrong_one_first() {
    let server = TestServer::start().await;
    server
        .shared
        .world()
        .set_password("correct horse", Some("the horse"));
    let c = conn(server.fresh_session());
    let pending = login::request_code(&c, PHONE, &api()).await.unwrap();
    let SignIn::PasswordNeeded { hint } =
        login::submit_code(&c, &pending, LOGIN_CODE).await.unwrap()
    else {
        panic!("the account has a password")
    };
    assert_eq!(hint.as_deref(), Some("the horse"));
    assert_eq!(
        login::whoami(&c).await.unwrap(),
        None,
        "not signed in before the password"
    );
    assert!(matches!(
        login::submit_password(&c, b"battery staple").await,
        Err(Error::InvalidPassword)
    ));
    let me = login::submit_password(&c, b"correct horse").await.unwrap();
    assert_eq!(me.id, USER_ID);
    assert_eq!(
        login::whoami(&c).await.unwrap().map(|m| m.id),
        Some(USER_ID)
    );
}
