//! Walking a whole channel or change feed through the paged [`Channel`] methods.

use super::Channel;
use super::error::{ChannelError, ErrorKind, Result};
use super::types::{Event, EventFilter, EventId, Message};

/// The most a page asks for (Telegram's `messages.getHistory` and `getAdminLog` limit).
const PAGE: usize = 100;

/// Every message, ascending by id.
///
/// # Errors
/// The backend's errors; [`ErrorKind::Corrupt`] when a backend's pages do not move forward.
pub async fn all_messages<C: Channel + ?Sized>(ch: &C) -> Result<Vec<Message>> {
    let mut out: Vec<Message> = Vec::new();
    loop {
        let after = out.last().map_or(0, |m| m.id);
        let page = ch.list_messages(after, PAGE).await?;
        if page.is_empty() {
            return Ok(out);
        }
        if page.first().is_some_and(|m| m.id <= after)
            || page.windows(2).any(|w| w[0].id >= w[1].id)
        {
            return Err(ChannelError::new(
                ErrorKind::Corrupt,
                "the backend listed messages out of order",
            ));
        }
        out.extend(page);
    }
}

/// Every event after `after` that passes `filter`, oldest first.
///
/// # Errors
/// The backend's errors; [`ErrorKind::Corrupt`] when a backend's pages do not move forward.
pub async fn all_events<C: Channel + ?Sized>(
    ch: &C,
    after: EventId,
    filter: EventFilter,
) -> Result<Vec<Event>> {
    let mut out: Vec<Event> = Vec::new();
    let mut cursor = after;
    loop {
        let page = ch.events(cursor, filter, PAGE).await?;
        if page.is_empty() {
            return Ok(out);
        }
        if page.first().is_some_and(|e| e.id <= cursor)
            || page.windows(2).any(|w| w[0].id >= w[1].id)
        {
            return Err(ChannelError::new(
                ErrorKind::Corrupt,
                "the backend listed events out of order",
            ));
        }
        cursor = page.last().map_or(cursor, |e| e.id);
        out.extend(page);
    }
}
