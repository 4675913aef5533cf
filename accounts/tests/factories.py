import factory

from accounts.models import Account, Company, Tag, User


class AccountFactory(factory.django.DjangoModelFactory[Account]):
    class Meta:
        model = Account

    name = factory.Faker("company")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    account = factory.SubFactory(AccountFactory)
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = User.Role.ADMIN
    password = factory.django.Password("pw")


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    class Meta:
        model = Company

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("company")


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    class Meta:
        model = Tag

    company = factory.SubFactory(CompanyFactory)
    account = factory.SelfAttribute("company.account")
    name = factory.Sequence(lambda n: f"tag {n}")
