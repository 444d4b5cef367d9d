"""Booking: clinicians' availability, bookings and reminders, the booking conversation, dates the way
members write them, and iCalendar in and out."""
