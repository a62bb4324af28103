"""Hand-written name lists for the demo data (Faker is a dev-only dependency).

Phones are Brazilian mobiles in E.164 (`+55` + a real DDD + a 9-digit number starting with 9)
that `phonenumbers.is_valid_number` accepts; the DDDs below are real.
"""

PT_FIRST_NAMES = (
    "Ana", "Ana Paula", "Beatriz", "Bruna", "Camila", "Carolina", "Débora", "Fernanda",
    "Gabriela", "Isabela", "Juliana", "Larissa", "Letícia", "Luana", "Maria Eduarda",
    "Mariana", "Natália", "Patrícia", "Priscila", "Renata", "Sabrina", "Tatiane", "Thaís",
    "Vanessa", "Aline", "Cláudia", "Helena", "Lívia", "Joana", "Raquel",
    "João", "João Victor", "Pedro", "Lucas", "Gabriel", "Rafael", "Felipe", "Gustavo",
    "Thiago", "Bruno", "Rodrigo", "Diego", "André", "Marcelo", "Leonardo", "Eduardo",
    "Vinícius", "Matheus", "Caio", "Henrique", "Daniel", "Fábio", "Ricardo", "Márcio",
    "Otávio", "Luiz Felipe", "Sérgio", "César", "Renato", "Paulo",
)  # fmt: skip
PT_SURNAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
    "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares",
    "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira",
    "Nunes", "Marques", "Machado", "Mendes", "Freitas", "Cardoso", "Ramos", "Gonçalves",
    "Santana", "Teixeira", "Araújo", "Monteiro", "Moura", "Cavalcanti", "Barros", "Campos",
    "Correia", "Batista", "Azevedo", "Pinto", "Nogueira", "Castro", "Borges", "Melo",
    "Sampaio", "Prado", "Siqueira", "Brandão", "Figueiredo", "Queiroz", "Tavares",
)  # fmt: skip
EN_FIRST_NAMES = (
    "Emily", "Olivia", "Sarah", "Jessica", "Hannah", "Rachel", "Megan", "Laura", "Grace",
    "Chloe", "Emma", "Sophie", "Amanda", "Claire", "James", "Michael", "David", "Daniel",
    "Matthew", "Andrew", "Ryan", "Kevin", "Brian", "Jason", "Thomas", "Christopher",
    "Nathan", "Patrick", "Steven", "Mark",
)  # fmt: skip
EN_SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
    "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White",
    "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green",
    "Baker", "Adams", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips",
    "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Murphy", "Cook", "Reed",
)  # fmt: skip

PT_COMPANY_STEMS = (
    "Nuvem", "Aurora", "Horizonte", "Atlântico", "Ipê", "Jacarandá", "Cerrado", "Pampa",
    "Maré", "Farol", "Vértice", "Sol Nascente", "Estrela do Sul", "Araucária", "Guará",
    "Tucano", "Serra Azul", "Vale Verde", "Rio Claro", "Pedra Branca", "Bandeirante",
    "Brisa", "Âncora", "Alvorada", "Primavera", "Cristal", "Safira", "Jequitibá", "Sabiá",
    "Mandacaru", "Boa Vista", "Lagoa Santa", "Nova Era", "Rota Sul", "Trilha", "Conecta",
    "Integra", "Quintal", "Beija-Flor", "Carnaúba", "Aroeira", "Oceânica", "Planalto",
    "Litoral", "Ponte Alta", "Campo Belo", "Santa Luzia", "Vila Rica", "Tropical", "Capim Dourado",
)  # fmt: skip
# (word, industry, goes before the stem)
PT_SECTORS = (
    ("Serviços", "Serviços", False),
    ("Logística", "Logística", False),
    ("Transportes", "Logística", True),
    ("Alimentos", "Alimentos e bebidas", False),
    ("Distribuidora", "Distribuição", True),
    ("Saúde", "Saúde", False),
    ("Clínicas", "Saúde", True),
    ("Educação", "Educação", False),
    ("Escola", "Educação", True),
    ("Varejo", "Varejo", False),
    ("Magazine", "Varejo", True),
    ("Engenharia", "Construção", False),
    ("Construtora", "Construção", True),
    ("Agro", "Agronegócio", False),
    ("Energia", "Energia", False),
    ("Pagamentos", "Fintech", False),
    ("Crédito", "Fintech", False),
    ("Seguros", "Seguros", False),
    ("Tecnologia", "Software", False),
    ("Sistemas", "Software", False),
    ("Telecom", "Telecomunicações", False),
    ("Imóveis", "Imobiliário", False),
    ("Turismo", "Turismo", False),
    ("Farmácias", "Farmacêutico", True),
    ("Contabilidade", "Serviços profissionais", False),
    ("Consultoria", "Serviços profissionais", False),
    ("Moda", "Varejo", False),
    ("Cosméticos", "Bens de consumo", False),
    ("Indústria", "Manufatura", True),
    ("Metalúrgica", "Manufatura", True),
)
PT_LEGAL_SUFFIXES = ("", "", "", " Ltda.", " Ltda.", " S.A.", " Brasil")

EN_COMPANY_STEMS = (
    "Northwind", "Bluebird", "Summit", "Redwood", "Silverline", "Brightpath", "Ironclad",
    "Keystone", "Lighthouse", "Evergreen", "Bluewater", "Cobalt", "Granite", "Harbor",
    "Maple", "Oakridge", "Pinnacle", "Riverbend", "Stonebridge", "Tidewater", "Westfield",
    "Clearview", "Crescent", "Falcon", "Juniper", "Meridian", "Nimbus", "Orion", "Sterling",
    "Vantage", "Willow", "Zephyr", "Beacon", "Copperleaf", "Driftwood", "Halcyon", "Lakeshore",
)  # fmt: skip
EN_SECTORS = (
    ("Analytics", "Software"),
    ("Health", "Healthcare"),
    ("Healthcare", "Healthcare"),
    ("Logistics", "Logistics"),
    ("Payments", "Fintech"),
    ("Capital", "Fintech"),
    ("Labs", "Software"),
    ("Software", "Software"),
    ("Retail", "Retail"),
    ("Foods", "Food & beverage"),
    ("Energy", "Energy"),
    ("Media", "Media"),
    ("Learning", "Education"),
    ("Insurance", "Insurance"),
    ("Robotics", "Manufacturing"),
    ("Systems", "Software"),
    ("Security", "Cybersecurity"),
    ("Travel", "Travel"),
    ("Realty", "Real estate"),
    ("Biotech", "Biotech"),
)
EN_LEGAL_SUFFIXES = ("", "", " Inc.", " LLC", " Ltd.", " Group")

# A branch name keeps large books from repeating the same company name over and over.
BRANCH_CITIES = (
    "São Paulo", "Campinas", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Porto Alegre",
    "Florianópolis", "Joinville", "Brasília", "Goiânia", "Salvador", "Recife", "Fortaleza",
    "Manaus", "Belém", "Vitória", "Ribeirão Preto", "Sorocaba", "Londrina", "Natal",
)  # fmt: skip

# Real area codes (DDD), weighted roughly by where Brazilian SaaS customers are.
PHONE_AREA_CODES = (
    (11, 30), (12, 2), (13, 2), (15, 2), (16, 2), (19, 6), (21, 12), (24, 1), (27, 3),
    (31, 8), (34, 1), (41, 6), (43, 2), (47, 3), (48, 3), (51, 6), (54, 1), (61, 5), (62, 3),
    (65, 1), (67, 1), (71, 4), (81, 4), (83, 1), (84, 1), (85, 4), (91, 2), (92, 2), (98, 1),
)  # fmt: skip
