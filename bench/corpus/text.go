package corpus

// language is one language's filler: names, subject phrases and sentences.
// None of the strings may contain "zq" (the token prefix).
type language struct {
	code      string
	names     []string
	subjects  []string
	sentences []string
}

var languages = []language{
	{"en", []string{"Alice Walker", "Bob Stone", "Carol Price", "Dan Hughes", "Eve Turner"},
		[]string{"Quarterly report", "Meeting notes", "Budget review", "Release plan", "Travel arrangements", "Question about the invoice"},
		[]string{
			"Thanks for sending the figures over so quickly.",
			"I have attached the latest draft for your review.",
			"Could we move the meeting to Thursday afternoon?",
			"The deployment went smoothly and no rollbacks were needed.",
			"Please let me know if anything in the plan looks off.",
			"We should revisit the storage costs before the next quarter.",
			"The customer asked for a summary of the open issues.",
			"I will be out of the office until Monday.",
		}},
	{"de", []string{"Jürgen Müller", "Käthe Schröder", "Günther Weiß", "Anja Brückner"},
		[]string{"Besprechung am Dienstag", "Änderungen am Angebot", "Rückfrage zur Rechnung", "Übergabe des Projekts"},
		[]string{
			"Vielen Dank für die schnelle Rückmeldung.",
			"Im Anhang findest du die überarbeitete Fassung.",
			"Können wir das Gespräch auf nächste Woche verschieben?",
			"Die Größe der Datenbank wächst schneller als erwartet.",
			"Bitte prüfe die Zahlen noch einmal vor der Abgabe.",
			"Grüße aus dem Büro in München.",
		}},
	{"fr", []string{"Hélène Dubois", "François Lefèvre", "Zoé Girard", "Noël Rousseau"},
		[]string{"Réunion de lundi", "Compte rendu de la visite", "Problème de facturation", "Prochaines étapes"},
		[]string{
			"Merci pour votre réponse rapide.",
			"Vous trouverez ci-joint la version corrigée du document.",
			"Pourriez-vous confirmer la date de livraison ?",
			"Le serveur a redémarré sans erreur cette nuit.",
			"Nous avons reçu les épreuves ce matin.",
			"Bien à vous, et à très bientôt.",
		}},
	{"es", []string{"José Peña", "María Núñez", "Íñigo Suárez", "Lucía Gómez"},
		[]string{"Reunión del equipo", "Presupuesto del año", "Revisión del contrato", "Información pendiente"},
		[]string{
			"Gracias por la información tan detallada.",
			"Adjunto el informe con las correcciones.",
			"¿Podemos hablar mañana por la mañana?",
			"La migración terminó sin incidencias.",
			"Quedo atento a tus comentarios.",
		}},
	{"ru", []string{"Иван Петров", "Мария Смирнова", "Алексей Кузнецов", "Ольга Попова"},
		[]string{"Отчёт за квартал", "Встреча в четверг", "Вопрос по договору", "План работ"},
		[]string{
			"Спасибо за быстрый ответ.",
			"Во вложении новая версия документа.",
			"Давайте перенесём встречу на следующую неделю.",
			"Сервер работает стабильно уже месяц.",
			"Пожалуйста, проверьте цифры ещё раз.",
		}},
	{"ja", []string{"山田 太郎", "佐藤 花子", "鈴木 一郎"},
		[]string{"会議の議事録", "見積もりについて", "来週の予定", "請求書の確認"},
		[]string{
			"お世話になっております。",
			"資料を添付いたしましたのでご確認ください。",
			"来週の打ち合わせの日程を調整させてください。",
			"サーバーの移行は問題なく完了しました。",
			"よろしくお願いいたします。",
		}},
	{"zh", []string{"王伟", "李娜", "张敏"},
		[]string{"季度报告", "会议安排", "合同修改", "项目进度"},
		[]string{
			"感谢您的及时回复。",
			"附件是最新的版本，请查收。",
			"我们可以把会议改到周四吗？",
			"数据迁移已经顺利完成。",
			"如有问题请随时联系我。",
		}},
	{"el", []string{"Γιώργος Παπαδόπουλος", "Ελένη Γεωργίου"},
		[]string{"Συνάντηση την Τρίτη", "Προσφορά έργου", "Ερώτηση για το τιμολόγιο"},
		[]string{
			"Ευχαριστώ για τη γρήγορη απάντηση.",
			"Επισυνάπτω το νέο έγγραφο.",
			"Μπορούμε να μιλήσουμε αύριο το πρωί;",
			"Η αναβάθμιση ολοκληρώθηκε χωρίς προβλήματα.",
		}},
	{"pl", []string{"Paweł Wójcik", "Małgorzata Zielińska", "Łukasz Kowalczyk"},
		[]string{"Spotkanie zespołu", "Żądanie wyceny", "Świąteczny harmonogram"},
		[]string{
			"Dziękuję za szybką odpowiedź.",
			"W załączniku przesyłam poprawioną wersję.",
			"Czy możemy przełożyć spotkanie na piątek?",
			"Migracja zakończyła się bez błędów.",
		}},
}

// weights: English dominates real mailboxes; the others share the rest.
var languageWeights = []int{40, 10, 10, 8, 8, 8, 6, 5, 5}

var domains = []string{"example.org", "example.com", "mail.example.net", "corp.example", "lists.example.org"}

var listNames = []string{"dev", "announce", "users", "ops", "security"}

var attachmentTypes = []struct{ ctype, ext string }{
	{"application/pdf", "pdf"},
	{"image/png", "png"},
	{"image/jpeg", "jpg"},
	{"application/zip", "zip"},
	{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
}
