"""The message templates that ship with the app, per kind, channel and language.

An owner's own version (a MessageTemplate row) replaces one of these; an e-mail's HTML part is made
from its text unless the owner writes one.
"""
from ..enums import Channel, MessageKind

K, E, S = MessageKind, Channel.EMAIL, Channel.SMS

DEFAULTS: dict[tuple[MessageKind, Channel, str], dict[str, str]] = {
    # --- Nederlands ---
    (K.CONFIRMATION, E, "nl"): {
        "subject": "Bevestiging van uw afspraak op {{ date }}",
        "body": "Beste {{ client_name }},\n\nHierbij bevestigen wij uw afspraak:\n\n"
                "{{ appointment_type }} bij {{ practitioner }}\n{{ date }} om {{ time }}\n"
                "{{ location }}, {{ location_address }}\n\n"
                "{% if reschedule_link %}Past het toch niet? Verplaats uw afspraak via {{ reschedule_link }}\n\n{% endif %}"
                "Met vriendelijke groet,\n{{ practice_name }}\n{{ practice_phone }}\n"},
    (K.CONFIRMATION, S, "nl"): {
        "body": "{{ practice_name }}: afspraak bevestigd op {{ date }} om {{ time }} bij {{ practitioner }}, "
                "{{ location }}. {{ location_sms_note }}"},
    (K.REMINDER, E, "nl"): {
        "subject": "Herinnering: uw afspraak op {{ date }} om {{ time }}",
        "body": "Beste {{ client_name }},\n\nWij herinneren u graag aan uw afspraak:\n\n"
                "{{ appointment_type }} bij {{ practitioner }}\n{{ date }} om {{ time }}\n"
                "{{ location }}, {{ location_address }}\n\n"
                "{% if reschedule_link %}Past het niet meer? Verplaats uw afspraak via {{ reschedule_link }}\n\n"
                "{% endif %}Verhinderd? Laat het ons tijdig weten via {{ practice_phone }}.\n\n"
                "Met vriendelijke groet,\n{{ practice_name }}\n"},
    (K.REMINDER, S, "nl"): {
        "body": "Herinnering {{ practice_name }}: {{ date }} om {{ time }} bij {{ practitioner }}, {{ location }}. "
                "{{ location_sms_note }}"},
    (K.RESCHEDULED, E, "nl"): {
        "subject": "Uw afspraak is verplaatst naar {{ date }} om {{ time }}",
        "body": "Beste {{ client_name }},\n\nUw afspraak is verplaatst.\n\nEerst: {{ old_date }} om {{ old_time }}\n"
                "Nieuw: {{ date }} om {{ time }}\n"
                "{{ appointment_type }} bij {{ practitioner }}, {{ location }}, {{ location_address }}\n\n"
                "{% if reschedule_link %}Past het nieuwe tijdstip niet? Verplaats uw afspraak via {{ reschedule_link }}"
                "\n\n{% endif %}Met vriendelijke groet,\n{{ practice_name }}\n{{ practice_phone }}\n"},
    (K.RESCHEDULED, S, "nl"): {
        "body": "{{ practice_name }}: uw afspraak van {{ old_date }} {{ old_time }} is verplaatst naar {{ date }} om "
                "{{ time }}, {{ location }}."},
    (K.CANCELLED, E, "nl"): {
        "subject": "Uw afspraak op {{ date }} is geannuleerd",
        "body": "Beste {{ client_name }},\n\nUw afspraak op {{ date }} om {{ time }} bij {{ practitioner }} "
                "is geannuleerd.\n\nWilt u een nieuwe afspraak maken? Bel ons op {{ practice_phone }}.\n\n"
                "Met vriendelijke groet,\n{{ practice_name }}\n"},
    (K.CANCELLED, S, "nl"): {
        "body": "{{ practice_name }}: uw afspraak op {{ date }} om {{ time }} is geannuleerd. "
                "Nieuwe afspraak? Bel {{ practice_phone }}."},
    (K.PRACTICE_NOTICE, E, "nl"): {
        "subject": "Online verplaatst: {{ client_name }} naar {{ date }} {{ time }}",
        "body": "{{ client_name }} heeft online de afspraak ({{ appointment_type }} bij {{ practitioner }}) verplaatst "
                "van {{ old_date }} {{ old_time }} naar {{ date }} {{ time }}, {{ location }}.\n"},
    (K.PRACTICE_CANCEL_NOTICE, E, "nl"): {
        "subject": "Online geannuleerd: {{ client_name }}, {{ date }} {{ time }}",
        "body": "{{ client_name }} heeft online de afspraak geannuleerd: {{ appointment_type }} bij {{ practitioner }}, "
                "{{ date }} {{ time }}, {{ location }}. De tijd is weer vrij.\n\n"
                "Reden: {{ cancel_reason or '(geen reden opgegeven)' }}\n"},
    # --- Deutsch ---
    (K.CONFIRMATION, E, "de"): {
        "subject": "Bestätigung Ihres Termins am {{ date }}",
        "body": "Guten Tag {{ client_name }},\n\nhiermit bestätigen wir Ihren Termin:\n\n"
                "{{ appointment_type }} bei {{ practitioner }}\n{{ date }} um {{ time }}\n"
                "{{ location }}, {{ location_address }}\n\n"
                "{% if reschedule_link %}Passt es doch nicht? Verschieben Sie Ihren Termin unter {{ reschedule_link }}\n\n"
                "{% endif %}Mit freundlichen Grüßen\n{{ practice_name }}\n{{ practice_phone }}\n"},
    (K.CONFIRMATION, S, "de"): {
        "body": "{{ practice_name }}: Termin bestätigt am {{ date }} um {{ time }} bei {{ practitioner }}, "
                "{{ location }}. {{ location_sms_note }}"},
    (K.REMINDER, E, "de"): {
        "subject": "Erinnerung: Ihr Termin am {{ date }} um {{ time }}",
        "body": "Guten Tag {{ client_name }},\n\nwir erinnern Sie an Ihren Termin:\n\n"
                "{{ appointment_type }} bei {{ practitioner }}\n{{ date }} um {{ time }}\n"
                "{{ location }}, {{ location_address }}\n\n"
                "{% if reschedule_link %}Passt es nicht mehr? Verschieben Sie Ihren Termin unter {{ reschedule_link }}"
                "\n\n{% endif %}Verhindert? Bitte sagen Sie rechtzeitig ab: {{ practice_phone }}.\n\n"
                "Mit freundlichen Grüßen\n{{ practice_name }}\n"},
    (K.REMINDER, S, "de"): {
        "body": "Erinnerung {{ practice_name }}: {{ date }} um {{ time }} bei {{ practitioner }}, {{ location }}. "
                "{{ location_sms_note }}"},
    (K.RESCHEDULED, E, "de"): {
        "subject": "Ihr Termin wurde auf {{ date }} um {{ time }} verschoben",
        "body": "Guten Tag {{ client_name }},\n\nIhr Termin wurde verschoben.\n\nBisher: {{ old_date }} um {{ old_time }}\n"
                "Neu: {{ date }} um {{ time }}\n"
                "{{ appointment_type }} bei {{ practitioner }}, {{ location }}, {{ location_address }}\n\n"
                "{% if reschedule_link %}Passt der neue Termin nicht? Verschieben Sie ihn unter {{ reschedule_link }}\n\n"
                "{% endif %}Mit freundlichen Grüßen\n{{ practice_name }}\n{{ practice_phone }}\n"},
    (K.RESCHEDULED, S, "de"): {
        "body": "{{ practice_name }}: Ihr Termin vom {{ old_date }} {{ old_time }} wurde auf {{ date }} um {{ time }} "
                "verschoben, {{ location }}."},
    (K.CANCELLED, E, "de"): {
        "subject": "Ihr Termin am {{ date }} wurde abgesagt",
        "body": "Guten Tag {{ client_name }},\n\nIhr Termin am {{ date }} um {{ time }} bei {{ practitioner }} "
                "wurde abgesagt.\n\nFür einen neuen Termin erreichen Sie uns unter {{ practice_phone }}.\n\n"
                "Mit freundlichen Grüßen\n{{ practice_name }}\n"},
    (K.CANCELLED, S, "de"): {
        "body": "{{ practice_name }}: Ihr Termin am {{ date }} um {{ time }} wurde abgesagt. "
                "Neuer Termin? {{ practice_phone }}."},
    (K.PRACTICE_NOTICE, E, "de"): {
        "subject": "Online verschoben: {{ client_name }} auf {{ date }} {{ time }}",
        "body": "{{ client_name }} hat den Termin ({{ appointment_type }} bei {{ practitioner }}) online verschoben "
                "von {{ old_date }} {{ old_time }} auf {{ date }} {{ time }}, {{ location }}.\n"},
    (K.PRACTICE_CANCEL_NOTICE, E, "de"): {
        "subject": "Online abgesagt: {{ client_name }}, {{ date }} {{ time }}",
        "body": "{{ client_name }} hat den Termin online abgesagt: {{ appointment_type }} bei {{ practitioner }}, "
                "{{ date }} {{ time }}, {{ location }}. Die Zeit ist wieder frei.\n\n"
                "Grund: {{ cancel_reason or '(kein Grund angegeben)' }}\n"},
    # --- English ---
    (K.CONFIRMATION, E, "en"): {
        "subject": "Your appointment on {{ date }} is confirmed",
        "body": "Dear {{ client_name }},\n\nWe confirm your appointment:\n\n"
                "{{ appointment_type }} with {{ practitioner }}\n{{ date }} at {{ time }}\n"
                "{{ location }}, {{ location_address }}\n\n"
                "{% if reschedule_link %}Does it not suit you after all? Move it at {{ reschedule_link }}\n\n{% endif %}"
                "Kind regards,\n{{ practice_name }}\n{{ practice_phone }}\n"},
    (K.CONFIRMATION, S, "en"): {
        "body": "{{ practice_name }}: appointment confirmed on {{ date }} at {{ time }} with {{ practitioner }}, "
                "{{ location }}. {{ location_sms_note }}"},
    (K.REMINDER, E, "en"): {
        "subject": "Reminder: your appointment on {{ date }} at {{ time }}",
        "body": "Dear {{ client_name }},\n\nThis is a reminder of your appointment:\n\n"
                "{{ appointment_type }} with {{ practitioner }}\n{{ date }} at {{ time }}\n"
                "{{ location }}, {{ location_address }}\n\n"
                "{% if reschedule_link %}Does it no longer suit you? Move it at {{ reschedule_link }}\n\n{% endif %}"
                "Cannot make it? Please let us know in time: {{ practice_phone }}.\n\n"
                "Kind regards,\n{{ practice_name }}\n"},
    (K.REMINDER, S, "en"): {
        "body": "Reminder {{ practice_name }}: {{ date }} at {{ time }} with {{ practitioner }}, {{ location }}. "
                "{{ location_sms_note }}"},
    (K.RESCHEDULED, E, "en"): {
        "subject": "Your appointment has moved to {{ date }} at {{ time }}",
        "body": "Dear {{ client_name }},\n\nYour appointment has been moved.\n\nWas: {{ old_date }} at {{ old_time }}\n"
                "New: {{ date }} at {{ time }}\n"
                "{{ appointment_type }} with {{ practitioner }}, {{ location }}, {{ location_address }}\n\n"
                "{% if reschedule_link %}Does the new time not suit you? Move it at {{ reschedule_link }}\n\n{% endif %}"
                "Kind regards,\n{{ practice_name }}\n{{ practice_phone }}\n"},
    (K.RESCHEDULED, S, "en"): {
        "body": "{{ practice_name }}: your appointment of {{ old_date }} {{ old_time }} has moved to {{ date }} at "
                "{{ time }}, {{ location }}."},
    (K.CANCELLED, E, "en"): {
        "subject": "Your appointment on {{ date }} has been cancelled",
        "body": "Dear {{ client_name }},\n\nYour appointment on {{ date }} at {{ time }} with {{ practitioner }} "
                "has been cancelled.\n\nTo make a new appointment, call us on {{ practice_phone }}.\n\n"
                "Kind regards,\n{{ practice_name }}\n"},
    (K.CANCELLED, S, "en"): {
        "body": "{{ practice_name }}: your appointment on {{ date }} at {{ time }} has been cancelled. "
                "New appointment? Call {{ practice_phone }}."},
    (K.PRACTICE_NOTICE, E, "en"): {
        "subject": "Moved online: {{ client_name }} to {{ date }} {{ time }}",
        "body": "{{ client_name }} moved their appointment ({{ appointment_type }} with {{ practitioner }}) online "
                "from {{ old_date }} {{ old_time }} to {{ date }} {{ time }}, {{ location }}.\n"},
    (K.PRACTICE_CANCEL_NOTICE, E, "en"): {
        "subject": "Cancelled online: {{ client_name }}, {{ date }} {{ time }}",
        "body": "{{ client_name }} cancelled their appointment online: {{ appointment_type }} with {{ practitioner }}, "
                "{{ date }} {{ time }}, {{ location }}. The time is free again.\n\n"
                "Reason: {{ cancel_reason or '(no reason given)' }}\n"},
    # --- Français ---
    (K.CONFIRMATION, E, "fr"): {
        "subject": "Confirmation de votre rendez-vous du {{ date }}",
        "body": "Bonjour {{ client_name }},\n\nNous vous confirmons votre rendez-vous :\n\n"
                "{{ appointment_type }} avec {{ practitioner }}\n{{ date }} à {{ time }}\n"
                "{{ location }}, {{ location_address }}\n\n"
                "{% if reschedule_link %}Ce moment ne vous convient finalement pas ? Déplacez votre rendez-vous ici : "
                "{{ reschedule_link }}\n\n{% endif %}"
                "Bien cordialement,\n{{ practice_name }}\n{{ practice_phone }}\n"},
    (K.CONFIRMATION, S, "fr"): {
        "body": "{{ practice_name }} : rendez-vous confirmé le {{ date }} à {{ time }} avec {{ practitioner }}, "
                "{{ location }}. {{ location_sms_note }}"},
    (K.REMINDER, E, "fr"): {
        "subject": "Rappel : votre rendez-vous du {{ date }} à {{ time }}",
        "body": "Bonjour {{ client_name }},\n\nNous vous rappelons votre rendez-vous :\n\n"
                "{{ appointment_type }} avec {{ practitioner }}\n{{ date }} à {{ time }}\n"
                "{{ location }}, {{ location_address }}\n\n"
                "{% if reschedule_link %}Ce moment ne vous convient plus ? Déplacez votre rendez-vous ici : "
                "{{ reschedule_link }}\n\n{% endif %}"
                "Un empêchement ? Merci de nous prévenir à temps au {{ practice_phone }}.\n\n"
                "Bien cordialement,\n{{ practice_name }}\n"},
    (K.REMINDER, S, "fr"): {
        "body": "Rappel {{ practice_name }} : {{ date }} à {{ time }} avec {{ practitioner }}, {{ location }}. "
                "{{ location_sms_note }}"},
    (K.RESCHEDULED, E, "fr"): {
        "subject": "Votre rendez-vous a été déplacé au {{ date }} à {{ time }}",
        "body": "Bonjour {{ client_name }},\n\nVotre rendez-vous a été déplacé.\n\n"
                "Ancien horaire : {{ old_date }} à {{ old_time }}\nNouvel horaire : {{ date }} à {{ time }}\n"
                "{{ appointment_type }} avec {{ practitioner }}, {{ location }}, {{ location_address }}\n\n"
                "{% if reschedule_link %}Ce nouvel horaire ne vous convient pas ? Déplacez votre rendez-vous ici : "
                "{{ reschedule_link }}\n\n{% endif %}"
                "Bien cordialement,\n{{ practice_name }}\n{{ practice_phone }}\n"},
    (K.RESCHEDULED, S, "fr"): {
        "body": "{{ practice_name }} : votre rendez-vous du {{ old_date }} à {{ old_time }} est déplacé au {{ date }} "
                "à {{ time }}, {{ location }}."},
    (K.CANCELLED, E, "fr"): {
        "subject": "Votre rendez-vous du {{ date }} est annulé",
        "body": "Bonjour {{ client_name }},\n\nVotre rendez-vous du {{ date }} à {{ time }} avec {{ practitioner }} "
                "est annulé.\n\nPour prendre un nouveau rendez-vous, appelez-nous au {{ practice_phone }}.\n\n"
                "Bien cordialement,\n{{ practice_name }}\n"},
    (K.CANCELLED, S, "fr"): {
        "body": "{{ practice_name }} : votre rendez-vous du {{ date }} à {{ time }} est annulé. "
                "Nouveau rendez-vous ? Appelez le {{ practice_phone }}."},
    (K.PRACTICE_NOTICE, E, "fr"): {
        "subject": "Déplacé en ligne : {{ client_name }} au {{ date }} {{ time }}",
        "body": "{{ client_name }} a déplacé son rendez-vous en ligne ({{ appointment_type }} avec {{ practitioner }}) "
                "du {{ old_date }} {{ old_time }} au {{ date }} {{ time }}, {{ location }}.\n"},
    (K.PRACTICE_CANCEL_NOTICE, E, "fr"): {
        "subject": "Annulé en ligne : {{ client_name }}, {{ date }} {{ time }}",
        "body": "{{ client_name }} a annulé son rendez-vous en ligne : {{ appointment_type }} avec {{ practitioner }}, "
                "{{ date }} {{ time }}, {{ location }}. Le créneau est de nouveau libre.\n\n"
                "Motif : {{ cancel_reason or '(aucun motif indiqué)' }}\n"},
}

# One message for several appointments of a series: every date, and one calendar file holding them all.
SERIES: dict[tuple[MessageKind, Channel, str], dict[str, str]] = {
    (K.SERIES_CONFIRMATION, E, "nl"): {
        "subject": "Bevestiging van uw {{ series_count }} afspraken vanaf {{ date }}",
        "body": "Beste {{ client_name }},\n\nHierbij bevestigen wij uw {{ series_count }} afspraken voor "
                "{{ appointment_type }} bij {{ practitioner }}, {{ location }}, {{ location_address }}:\n\n"
                "{{ series_dates }}\n\nHet agendabestand in de bijlage zet ze allemaal in uw agenda.\n\n"
                "Met vriendelijke groet,\n{{ practice_name }}\n{{ practice_phone }}\n"},
    (K.SERIES_CONFIRMATION, S, "nl"): {
        "body": "{{ practice_name }}: {{ series_count }} afspraken bevestigd bij {{ practitioner }}, {{ location }}:\n"
                "{{ series_dates }}"},
    (K.SERIES_CANCELLED, E, "nl"): {
        "subject": "{{ series_count }} afspraken geannuleerd vanaf {{ date }}",
        "body": "Beste {{ client_name }},\n\nDeze afspraken bij {{ practitioner }} zijn geannuleerd:\n\n"
                "{{ series_dates }}\n\nWilt u nieuwe afspraken maken? Bel ons op {{ practice_phone }}.\n\n"
                "Met vriendelijke groet,\n{{ practice_name }}\n"},
    (K.SERIES_CANCELLED, S, "nl"): {
        "body": "{{ practice_name }}: deze afspraken zijn geannuleerd:\n{{ series_dates }}\nVragen? Bel {{ practice_phone }}."},
    (K.SERIES_CONFIRMATION, E, "de"): {
        "subject": "Bestätigung Ihrer {{ series_count }} Termine ab {{ date }}",
        "body": "Guten Tag {{ client_name }},\n\nhiermit bestätigen wir Ihre {{ series_count }} Termine für "
                "{{ appointment_type }} bei {{ practitioner }}, {{ location }}, {{ location_address }}:\n\n"
                "{{ series_dates }}\n\nDie Kalenderdatei im Anhang trägt sie alle in Ihren Kalender ein.\n\n"
                "Mit freundlichen Grüßen\n{{ practice_name }}\n{{ practice_phone }}\n"},
    (K.SERIES_CONFIRMATION, S, "de"): {
        "body": "{{ practice_name }}: {{ series_count }} Termine bestätigt bei {{ practitioner }}, {{ location }}:\n"
                "{{ series_dates }}"},
    (K.SERIES_CANCELLED, E, "de"): {
        "subject": "{{ series_count }} Termine ab {{ date }} abgesagt",
        "body": "Guten Tag {{ client_name }},\n\ndiese Termine bei {{ practitioner }} sind abgesagt:\n\n"
                "{{ series_dates }}\n\nMöchten Sie neue Termine vereinbaren? Rufen Sie uns an: {{ practice_phone }}."
                "\n\nMit freundlichen Grüßen\n{{ practice_name }}\n"},
    (K.SERIES_CANCELLED, S, "de"): {
        "body": "{{ practice_name }}: diese Termine sind abgesagt:\n{{ series_dates }}\nFragen? {{ practice_phone }}."},
    (K.SERIES_CONFIRMATION, E, "en"): {
        "subject": "Your {{ series_count }} appointments from {{ date }} are confirmed",
        "body": "Dear {{ client_name }},\n\nWe confirm your {{ series_count }} appointments for {{ appointment_type }} "
                "with {{ practitioner }}, {{ location }}, {{ location_address }}:\n\n{{ series_dates }}\n\n"
                "The calendar file attached puts them all in your calendar.\n\n"
                "Kind regards,\n{{ practice_name }}\n{{ practice_phone }}\n"},
    (K.SERIES_CONFIRMATION, S, "en"): {
        "body": "{{ practice_name }}: {{ series_count }} appointments confirmed with {{ practitioner }}, {{ location }}:\n"
                "{{ series_dates }}"},
    (K.SERIES_CANCELLED, E, "en"): {
        "subject": "{{ series_count }} appointments from {{ date }} cancelled",
        "body": "Dear {{ client_name }},\n\nThese appointments with {{ practitioner }} are cancelled:\n\n"
                "{{ series_dates }}\n\nWould you like new ones? Call us at {{ practice_phone }}.\n\n"
                "Kind regards,\n{{ practice_name }}\n"},
    (K.SERIES_CANCELLED, S, "en"): {
        "body": "{{ practice_name }}: these appointments are cancelled:\n{{ series_dates }}\nQuestions? Call "
                "{{ practice_phone }}."},
    (K.SERIES_CONFIRMATION, E, "fr"): {
        "subject": "Confirmation de vos {{ series_count }} rendez-vous à partir du {{ date }}",
        "body": "Bonjour {{ client_name }},\n\nNous confirmons vos {{ series_count }} rendez-vous pour "
                "{{ appointment_type }} avec {{ practitioner }}, {{ location }}, {{ location_address }} :\n\n"
                "{{ series_dates }}\n\nLe fichier d'agenda joint les ajoute tous à votre agenda.\n\n"
                "Bien cordialement,\n{{ practice_name }}\n{{ practice_phone }}\n"},
    (K.SERIES_CONFIRMATION, S, "fr"): {
        "body": "{{ practice_name }} : {{ series_count }} rendez-vous confirmés avec {{ practitioner }}, {{ location }} :"
                "\n{{ series_dates }}"},
    (K.SERIES_CANCELLED, E, "fr"): {
        "subject": "{{ series_count }} rendez-vous annulés à partir du {{ date }}",
        "body": "Bonjour {{ client_name }},\n\nCes rendez-vous avec {{ practitioner }} sont annulés :\n\n"
                "{{ series_dates }}\n\nPour en prendre de nouveaux, appelez-nous au {{ practice_phone }}.\n\n"
                "Bien cordialement,\n{{ practice_name }}\n"},
    (K.SERIES_CANCELLED, S, "fr"): {
        "body": "{{ practice_name }} : ces rendez-vous sont annulés :\n{{ series_dates }}\nQuestions ? Appelez le "
                "{{ practice_phone }}."},
}
DEFAULTS |= SERIES
