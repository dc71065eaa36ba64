"""Community events: sign-ups with places and a waitlist, reminders, .ics, attendance."""
