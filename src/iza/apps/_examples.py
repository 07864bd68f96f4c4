"""Varied example requests: the bench list, the parser tests and the web form's suggestions.

None of them is special-cased by the parser; they are here so that every consumer measures the same set.
"""

__all__ = ["EXAMPLE_REQUESTS"]

EXAMPLE_REQUESTS: tuple[str, ...] = (
    "todo app with AI",
    "inventory for a bakery with suppliers",
    "habit tracker with streaks",
    "CRM for leads with follow-up dates",
    "notes app with tags",
    "appointment booking for a hair salon",
    "expense tracker with categories and receipts",
    "blog with posts, authors and comments",
    "AI chat assistant",
    "knowledge base for my team with tags",
    "an app to track my plants with watering dates",
    "recipe book with ingredients and ratings",
    "invoices for freelance clients with due dates",
    "gym workout log with exercises",
    "book collection with ratings and authors",
    "project management with tasks and milestones and login",
    "movie watchlist with ratings",
    "student grades tracker for a school with courses",
    "customer support helpdesk with tickets, priorities and status",
    "wine cellar with vintages",
    "sales pipeline for a small agency with deals and contacts",
    "time tracking for freelancers with projects and hourly rates",
    "event planning with guests and RSVPs",
    "podcast episodes with show notes",
    "dentist appointments with patients and reminders",
    "family chore chart with points",
    "warehouse stock with products, locations and barcodes",
    "newsletter subscribers with emails",
    "restaurant reservations with tables and party size",
    "job application tracker with interview dates and status",
    "pet grooming bookings with pets and owners",
    "home maintenance log with repairs and costs",
    "reading list with tags and progress",
    "volunteer roster for a food bank with shifts",
    "zorgblat tracker",
    "a simple app for my dog",
    "journal with moods and AI",
    "vehicle fleet with service dates and mileage",
)
