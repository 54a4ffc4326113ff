//! A consumer generated from the hub's OpenAPI document (`citydeck-openapi-client`, progenitor at build time) talks to
//! a real hub process: signs in, reports an incident, reads it back by id and in the list, and gets the hub's
//! refusals as the document's typed error body.

use citydeck_openapi_client::{types, Client, Error};
use citydeck_tests::{HubProcess, DEMO_PASSWORD};

fn signed_in(url: &str, token: &str) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    Client::new_with_client(url, http)
}

#[tokio::test]
async fn a_client_generated_from_the_document_works_against_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&dir.path().join("hub.sqlite"));
    let anonymous = Client::new(&hub.url);

    let health = anonymous.health().await.unwrap().into_inner();
    assert_eq!(health.status, "ok");

    // A wrong password is the documented 401 with the shared error body.
    let wrong = types::LoginRequest {
        username: "operator".try_into().unwrap(),
        password: "not-the-password".try_into().unwrap(),
    };
    match anonymous.login(&wrong).await {
        Err(Error::ErrorResponse(r)) => {
            assert_eq!(r.status().as_u16(), 401);
            assert_eq!(r.into_inner().error, "bad_credentials");
        }
        other => panic!("a wrong password must be a 401 ApiError, got {other:?}"),
    }

    let login = anonymous
        .login(&types::LoginRequest {
            username: "operator".try_into().unwrap(),
            password: DEMO_PASSWORD.try_into().unwrap(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(login.role, types::Role::Operator);
    let client = signed_in(&hub.url, &login.token);

    let new = types::NewIncident {
        title: "Gas leak at the market".try_into().unwrap(),
        class: types::IncidentClass::Accident,
        grade: types::Grade::Ii,
        lon: 9.52,
        lat: 47.14,
        source: "generated-client".try_into().unwrap(),
        description: None,
        address: Some("Städtle 1".try_into().unwrap()),
        external_id: Some("gc-1".try_into().unwrap()),
        occurred_at: None,
    };
    let created = client.create_incident(&new).await.unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let created = created.into_inner();
    assert_eq!(created.title, "Gas leak at the market");
    assert_eq!(created.created_by, "operator");

    // The same (source, external_id) again: the documented 200 with the same incident.
    let again = client.create_incident(&new).await.unwrap();
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(again.into_inner().id, created.id);

    let read = client.get_incident(&created.id).await.unwrap().into_inner();
    assert_eq!(read.id, created.id);
    assert_eq!(read.address.as_deref(), Some("Städtle 1"));
    let listed = client
        .list_incidents(Some(std::num::NonZeroU32::new(10).unwrap()))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.iter().any(|i| i.id == created.id));

    // An unknown id is the documented 404.
    match client.get_incident(&uuid::Uuid::nil()).await {
        Err(Error::ErrorResponse(r)) => assert_eq!(r.status().as_u16(), 404),
        other => panic!("an unknown incident must be a 404, got {other:?}"),
    }
    // The generated types refuse what the document forbids before anything is sent.
    assert!(types::NewIncidentTitle::try_from("   ").is_err());
    assert!(types::NewIncidentTitle::try_from("x".repeat(201).as_str()).is_err());
}
